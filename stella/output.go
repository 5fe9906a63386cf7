package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// column is one table column: a header and a dotted path into the JSON object.
type column struct{ header, path string }

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable prints rows (JSON objects) as aligned columns.
func printTable(cmd *cobra.Command, rows []map[string]any, cols []column) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, row := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(lookup(row, c.path))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// printObject prints one object as KEY: value lines, nested objects as JSON.
func printObject(cmd *cobra.Command, obj map[string]any, cols []column) error {
	if cols == nil {
		return printJSON(cmd, obj)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	for _, c := range cols {
		fmt.Fprintf(tw, "%s:\t%s\n", c.header, cell(lookup(obj, c.path)))
	}
	return tw.Flush()
}

func lookup(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// runAndPrint runs an operation whose data holds one object under field.
func runAndPrint(cmd *cobra.Command, g *globals, query string, vars map[string]any, field string, cols []column) error {
	var data map[string]any
	if err := newClient(g.server, g.token).do(cmd.Context(), query, vars, &data); err != nil {
		return err
	}
	obj, _ := data[field].(map[string]any)
	if g.output == "json" || obj == nil {
		return printJSON(cmd, data[field])
	}
	return printObject(cmd, obj, cols)
}

// listCommand builds a command that runs a list query. The query's data holds
// either a connection (nodes, pageInfo) or a plain list under field. vars, if
// given, reads flags into the query's variables.
func listCommand(g *globals, use, short, query, field string, cols []column, vars func() (map[string]any, error)) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]any{}
			if vars != nil {
				var err error
				if v, err = vars(); err != nil {
					return err
				}
			}
			var data map[string]any
			if err := newClient(g.server, g.token).do(cmd.Context(), query, v, &data); err != nil {
				return err
			}
			var rows []map[string]any
			items, _ := data[field].([]any)
			if conn, ok := data[field].(map[string]any); ok {
				items, _ = conn["nodes"].([]any)
			}
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					rows = append(rows, m)
				}
			}
			if g.output == "json" {
				if rows == nil {
					rows = []map[string]any{}
				}
				return printJSON(cmd, rows) // a plain array, for jq '.[]'
			}
			return printTable(cmd, rows, cols)
		},
	}
}

// keyValues parses repeated k=v flags into GraphQL KeyValueInput objects.
func keyValues(flag string, in []string) ([]map[string]string, error) {
	out := make([]map[string]string, 0, len(in))
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, withCode(ExitUsage, "--%s %q: want key=value", flag, kv)
		}
		out = append(out, map[string]string{"key": k, "value": v})
	}
	return out, nil
}
