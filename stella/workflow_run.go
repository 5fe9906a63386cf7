package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

const workflowRunFields = `id state error rollback createdAt updatedAt inputs outputs template { name version digest }
	nodes { id type name state attempts error outputs startedAt finishedAt notBefore }`

var workflowRunShowCols = []column{{"Run", "id"}, {"State", "state"}, {"Template", "template.name"}, {"Version", "template.version"},
	{"Digest", "template.digest"}, {"Inputs", "inputs"}, {"Outputs", "outputs"}, {"Error", "error"}, {"Created", "createdAt"}, {"Updated", "updatedAt"}}

var workflowRunNodeCols = []column{{"NODE", "id"}, {"TYPE", "type"}, {"STATE", "state"}, {"ATTEMPTS", "attempts"}, {"ERROR", "error"}}

var workflowRunEventCols = []column{{"SEQ", "seq"}, {"TYPE", "type"}, {"NODE", "nodeId"}, {"AT", "at"}, {"DATA", "data"}}

// runPoll is how often --wait reads the run.
const runPoll = 250 * time.Millisecond

// newWorkflowRunCmd: stella workflow run start|show|logs|cancel|approve|events.
func newWorkflowRunCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "run", Short: "Start, watch, approve and cancel workflow runs"}
	cmd.AddCommand(newRunStartCmd(g), newRunShowCmd(g), newRunLogsCmd(g), newRunCancelCmd(g), newRunApproveCmd(g), newRunEventsCmd(g))
	return cmd
}

// parseInputs turns k=v pairs into an inputs object: a value that is JSON
// (true, 3, "x", [1]) is that value, anything else the plain string.
func parseInputs(pairs []string) (string, error) {
	in := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return "", withCode(ExitUsage, "--input %q: want NAME=VALUE", p)
		}
		var val any
		if err := json.Unmarshal([]byte(v), &val); err != nil {
			val = v
		}
		in[k] = val
	}
	b, err := json.Marshal(in)
	return string(b), err
}

func newRunStartCmd(g *globals) *cobra.Command {
	var (
		version int
		inputs  []string
		wait    bool
		key     string
	)
	cmd := &cobra.Command{
		Use: "start TEMPLATE [--version N] [--input NAME=VALUE]... [--wait]",
		Short: "Run a saved template outside any promotion (releaser). --wait returns when the run ends (exit 0, " +
			"or 5 when it failed or was cancelled) or waits for an approval or manual step (exit 7)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := parseInputs(inputs)
			if err != nil {
				return err
			}
			vars := map[string]any{"t": args[0], "in": in}
			if version != 0 {
				vars["v"] = version
			}
			c := newClient(g.server, g.token)
			var data map[string]any
			if err := c.do(cmd.Context(), `mutation($t: String!, $v: Int, $in: String, $idempotencyKey: String) {
				startWorkflowRun(template: $t, version: $v, inputs: $in, idempotencyKey: $idempotencyKey) { `+workflowRunFields+` } }`,
				withIdempotencyKey(vars, key), &data); err != nil {
				return err
			}
			run, _ := data["startWorkflowRun"].(map[string]any)
			if wait {
				for !runSettled(run) {
					select {
					case <-cmd.Context().Done():
						return withCode(ExitCancelled, "stopped waiting for run %s", cell(run["id"]))
					case <-time.After(runPoll):
					}
					if run, err = readRun(cmd, c, cell(run["id"])); err != nil {
						return err
					}
				}
			}
			if err := printRun(cmd, g, run); err != nil {
				return err
			}
			if !wait {
				return nil
			}
			switch run["state"] {
			case "failed", "cancelled":
				return withCode(ExitFailed, "run %s %s: %s", cell(run["id"]), run["state"], cell(run["error"]))
			case "waiting":
				return withCode(ExitPending, "run %s waits for an approval or a manual step: stella workflow run approve %s NODE", cell(run["id"]), cell(run["id"]))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "this template version instead of the latest")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "NAME=VALUE, repeatable; a JSON VALUE (true, 3, \"x\") is taken as JSON, anything else as a string")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the run ends or waits for an approval")
	idempotencyKeyFlag(cmd, &key)
	return cmd
}

func runSettled(run map[string]any) bool {
	switch run["state"] {
	case "succeeded", "failed", "cancelled", "waiting":
		return true
	}
	return false
}

func readRun(cmd *cobra.Command, c *client, id string) (map[string]any, error) {
	var data map[string]any
	if err := c.do(cmd.Context(), `query($id: ID!) { workflowRun(id: $id) { `+workflowRunFields+` } }`, map[string]any{"id": id}, &data); err != nil {
		return nil, err
	}
	run, _ := data["workflowRun"].(map[string]any)
	return run, nil
}

// printRun prints a run and a table of its nodes, or the run as JSON.
func printRun(cmd *cobra.Command, g *globals, run map[string]any) error {
	if g.output == "json" {
		return printJSON(cmd, run)
	}
	if err := printObject(cmd, run, workflowRunShowCols); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout())
	return printTable(cmd, objects(run["nodes"]), workflowRunNodeCols)
}

func newRunShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "show RUN [-o table|json]", Short: "Show a run and its nodes", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := readRun(cmd, newClient(g.server, g.token), args[0])
			if err != nil {
				return err
			}
			return printRun(cmd, g, run)
		},
	}
}

func newRunLogsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "logs RUN NODE", Short: "Print the kept tail of each attempt's log of a node, oldest first", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data struct {
				WorkflowRun struct {
					Nodes []struct {
						ID   string  `json:"id"`
						Logs *string `json:"logs"`
					} `json:"nodes"`
				} `json:"workflowRun"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), `query($id: ID!) { workflowRun(id: $id) { nodes { id logs } } }`,
				map[string]any{"id": args[0]}, &data); err != nil {
				return err
			}
			for _, n := range data.WorkflowRun.Nodes {
				if n.ID != args[1] {
					continue
				}
				if n.Logs != nil {
					_, err := fmt.Fprint(cmd.OutOrStdout(), *n.Logs)
					return err
				}
				return nil
			}
			return withCode(ExitUsage, "run %s has no node %q", args[0], args[1])
		},
	}
}

func newRunCancelCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use: "cancel RUN [--idempotency-key KEY]", Short: "Cancel a run (releaser); a finished run is left as it is", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data map[string]any
			if err := newClient(g.server, g.token).do(cmd.Context(), `mutation($id: ID!, $idempotencyKey: String) {
				cancelWorkflowRun(id: $id, idempotencyKey: $idempotencyKey) { `+workflowRunFields+` } }`,
				withIdempotencyKey(map[string]any{"id": args[0]}, key), &data); err != nil {
				return err
			}
			run, _ := data["cancelWorkflowRun"].(map[string]any)
			return printRun(cmd, g, run)
		},
	}
	idempotencyKeyFlag(cmd, &key)
	return cmd
}

func newRunApproveCmd(g *globals) *cobra.Command {
	var comment, key string
	cmd := &cobra.Command{
		Use:   "approve RUN NODE [--comment TEXT] [--idempotency-key KEY]",
		Short: "Approve (or confirm) a waiting approval or manual node (approver role); the same person twice counts once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]any{"r": args[0], "n": args[1]}
			if comment != "" {
				vars["c"] = comment
			}
			var data map[string]any
			if err := newClient(g.server, g.token).do(cmd.Context(), `mutation($r: ID!, $n: String!, $c: String, $idempotencyKey: String) {
				approveWorkflowNode(run: $r, node: $n, comment: $c, idempotencyKey: $idempotencyKey) { `+workflowRunFields+` } }`,
				withIdempotencyKey(vars, key), &data); err != nil {
				return err
			}
			run, _ := data["approveWorkflowNode"].(map[string]any)
			return printRun(cmd, g, run)
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "comment")
	idempotencyKeyFlag(cmd, &key)
	return cmd
}

func newRunEventsCmd(g *globals) *cobra.Command {
	var after int
	cmd := &cobra.Command{
		Use: "events RUN [--after SEQ] [-o table|json]", Short: "List a run's stored events, oldest first", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data map[string]any
			if err := newClient(g.server, g.token).do(cmd.Context(), `query($id: ID!, $a: Int) { workflowRun(id: $id) { events(after: $a) { seq type nodeId at data } } }`,
				map[string]any{"id": args[0], "a": after}, &data); err != nil {
				return err
			}
			events := lookup(data, "workflowRun.events")
			if g.output == "json" {
				return printJSON(cmd, events)
			}
			return printTable(cmd, objects(events), workflowRunEventCols)
		},
	}
	cmd.Flags().IntVar(&after, "after", 0, "only events with a greater seq")
	return cmd
}
