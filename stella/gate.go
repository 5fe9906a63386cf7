package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/store"
	"github.com/stella-ops/stella/vex"
)

func newGateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Decide whether a release may enter an environment, and replay decisions (no server needed)",
	}
	cmd.AddCommand(newGateEvalCmd(g), newGateReplayCmd(g), newGateExplainCmd(g), newGateRecordCmd(g))
	return cmd
}

// sourcesFile is the manifest of raw inputs inside a record's inputs dir.
const sourcesFile = "sources.json"

func newGateEvalCmd(g *globals) *cobra.Command {
	var sf scanFlags
	var env, configPath, exceptionsPath, recordPath, signKey, requester, name, cutoff string
	var policies []string
	var vexAttached bool
	cmd := &cobra.Command{
		Use:   "eval SOURCE (--advisories PATH... | --db DSN) [--env NAME] [--config GATES.yaml] [--policy DIR] [--vex FILE]... [--record FILE]",
		Short: "Evaluate the gates for SOURCE entering an environment: allow, deny or pending",
		Long: `Scan SOURCE exactly as "stella scan" does (anything it accepts, including
sbom:FILE), or take release:NAME from --db as the server decides it: the stored
SBOM of each of its images (see scanRelease; an image without one denies with
input.sbom-missing), the stored environment --env (else the one --config
names), the tenant's VEX statements and issuers (--vex-issuers replaces the
issuers), its exceptions (unless --exceptions) and the release deployed there
now as the baseline. Apply VEX and evaluate the gates of environment --env as
of --cutoff, which is also the VEX consensus time. Every gate is
evaluated; any failure, gate error, timeout or missing input denies (fail
closed).

--config GATES.yaml holds the environments and the gates:

  environments:
    - {name: prod, tier: production, requiredApprovals: 0,
       freezeWindows: [{name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z, exceptions: [alice]}]}
    - {name: dev, tier: development}
  gates:
    - {id: security-thresholds, type: security-thresholds}
    - {id: kev, type: kev, environments: {development: {allowGracePeriod: true, graceDays: 3650}}}
    - {id: epss, type: epss, settings: {threshold: 0.5}}

Per-environment settings (keyed by tier or environment name) are merged over
the gate's settings, which are merged over its defaults. Without --config the
environment is production and the gates are security-thresholds, kev,
aggregate, vex-trust, freeze-window and approvals with their defaults.
--policy DIR adds a Rego policy bundle (package stella.release, deny/warn sets
of {code, message}) as the "policy" gate, evaluated last, unless a policy gate
of --config already names its digest; a bundle that does
not compile denies with policy.compile-error. --exceptions FILE gives
{exceptions: [...], revocations: [...]}: owned, approved, expiring waivers.

--record FILE writes the decision record (canonical JSON) and keeps every
input, content-addressed, in the ".inputs" directory beside it (x.json:
x.inputs/), so "stella gate replay FILE" works offline. With --sign-key the
record is also signed as DSSE into x.dsse.json. Nothing is written unless the
decision is made.

--output json prints the record: decision, every gate with status, reason
codes and details, the input digests and the determinismHash.

Exit codes: 0 allow, 6 deny, 7 pending, 2 bad flags or unreadable input,
4 bad key, 1 anything else.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.output != "table" && g.output != "json" {
				return withCode(ExitUsage, "--output %q: want table or json", g.output)
			}
			if signKey != "" && recordPath == "" {
				return withCode(ExitUsage, "--sign-key signs the record: give --record FILE too")
			}
			at, err := parseCutoff(cutoff)
			if err != nil {
				return err
			}
			src := decide.Sources{Schema: decide.SourcesSchema, ReleaseName: cmp.Or(name, args[0]), Environment: env, Requester: requester,
				Phase: string(gate.PhaseRequest), ClockCutoff: at.UTC().Truncate(time.Second)}
			blobs, err := readGateBlobs(cmd, &sf, configPath, exceptionsPath, args[0], vexAttached, &src)
			if err != nil {
				return err
			}
			bundles, err := loadPolicies(policies)
			if err != nil {
				return err
			}
			// Inputs are collected in memory and written with the record only
			// once the decision is made, so a failed run leaves nothing behind.
			cas := record.MemCAS{}
			if err := src.Keep(cmd.Context(), cas, blobs); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			req, file, err := src.Request(cmd.Context(), blobs)
			if err != nil {
				return vexOrUsage(err)
			}
			d, err := decide.New(cmd.Context(), decide.WithConfig(file.Gates), decide.WithPolicies(bundles...))
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			dec, _, err := d.Decide(cmd.Context(), req, gate.KeepInputs(cas))
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			if recordPath != "" {
				if err := writeRecord(cmd, recordPath, dec, signKey, cas, src); err != nil {
					return err
				}
			}
			if err := printDecision(cmd.OutOrStdout(), g.output, dec); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			return decisionExit(dec)
		},
	}
	sf.register(cmd)
	_ = cmd.Flags().MarkHidden("vex-cutoff") // --cutoff is the one time of a decision
	cmd.Flags().StringVar(&env, "env", "prod", "target environment (defined in --config)")
	cmd.Flags().StringVar(&configPath, "config", "", "environments and gates (YAML or JSON)")
	cmd.Flags().StringArrayVar(&policies, "policy", nil, "Rego policy bundle directory (repeatable)")
	cmd.Flags().StringVar(&exceptionsPath, "exceptions", "", "exceptions file (YAML or JSON)")
	cmd.Flags().StringVar(&recordPath, "record", "", "write the decision record here and its inputs beside it")
	cmd.Flags().StringVar(&signKey, "sign-key", "", "with --record: sign the record (DSSE) with this PEM private key")
	cmd.Flags().StringVar(&requester, "requester", "", "user asking for the promotion (freeze-window exceptions)")
	cmd.Flags().StringVar(&name, "name", "", "release name (default: SOURCE)")
	cmd.Flags().StringVar(&cutoff, "cutoff", "", "clock cut-off of the decision (RFC 3339); default now")
	cmd.Flags().BoolVar(&vexAttached, "vex-attached", false, "also apply the OpenVEX attestations attached to the release's images (registry: or release: sources)")
	return cmd
}

// readGateBlobs reads every raw input of a CLI decision and names the
// release's components in src.
func readGateBlobs(cmd *cobra.Command, sf *scanFlags, configPath, exceptionsPath, source string, vexAttached bool, src *decide.Sources) (decide.Blobs, error) {
	var b decide.Blobs
	var err error
	read := func(flag, path string) ([]byte, error) {
		if path == "" {
			return nil, nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, withCode(ExitUsage, "--%s: %v", flag, err)
		}
		return raw, nil
	}
	if b.Gates, err = read("config", configPath); err != nil {
		return b, err
	}
	if _, err := decide.ParseConfigFile(b.Gates); err != nil { // fail before the scan
		return b, withCode(ExitUsage, "--config %s: %v", configPath, err)
	}
	if b.Exceptions, err = read("exceptions", exceptionsPath); err != nil {
		return b, err
	}
	if b.Issuers, err = read("vex-issuers", sf.vex.issuers); err != nil {
		return b, err
	}
	for _, p := range sf.vex.files {
		raw, err := read("vex", p)
		if err != nil {
			return b, err
		}
		b.VEX = append(b.VEX, raw)
	}
	if key, ok := strings.CutPrefix(source, "release:"); ok {
		if err := storedRelease(cmd, sf, key, src, &b); err != nil {
			return b, err
		}
		if vexAttached {
			var images []string
			for _, c := range src.Components {
				images = append(images, c.Image)
			}
			return b, attachedVEXBlobs(cmd, b.Issuers, images, &b)
		}
		return b, nil
	}
	advs, _, err := sf.advisories(cmd.Context())
	if err != nil {
		return b, err
	}
	b.Advisories = advs.Canonical()
	if vexAttached && !strings.HasPrefix(source, "registry:") {
		return b, withCode(ExitUsage, "--vex-attached needs a registry: or release: source, not %s", source)
	}
	doc, err := scanDocument(cmd, source, sf.ts, sf.platform)
	if err != nil {
		return b, err
	}
	if vexAttached {
		if doc.Subject.Kind != "image" || doc.Subject.Digest == "" {
			return b, withCode(ExitInternal, "--vex-attached: %s gave no image digest", source)
		}
		if err := attachedVEXBlobs(cmd, b.Issuers, []string{doc.Subject.Name + "@" + doc.Subject.Digest}, &b); err != nil {
			return b, err
		}
	}
	format, err := codec.ParseFormat(sf.sbomFormat)
	if err != nil {
		return b, withCode(ExitUsage, "--format-sbom: %v", err)
	}
	var buf bytes.Buffer
	if err := codec.Encode(&buf, doc, format); err != nil {
		return b, withCode(ExitInternal, "%v", err)
	}
	src.Components = []decide.SourceComponent{{Name: src.ReleaseName, Role: "primary"}}
	b.SBOMs = [][]byte{buf.Bytes()}
	return b, nil
}

// attachedVEXBlobs adds the OpenVEX attestations attached to images, as the
// raw envelopes, to the decision's VEX documents, so that replay verifies
// and reads them again from the recorded bytes.
func attachedVEXBlobs(cmd *cobra.Command, issuers []byte, images []string, b *decide.Blobs) error {
	reg, err := vex.NewRegistry("")
	if issuers != nil {
		reg, err = vex.ReadRegistry(bytes.NewReader(issuers))
	}
	if err != nil {
		return withCode(ExitUsage, "--vex-issuers: %v", err)
	}
	for _, ref := range images {
		image, err := name.NewDigest(ref)
		if err != nil {
			return withCode(ExitUsage, "--vex-attached: %v", err)
		}
		docs, err := fetchAttachedVEX(cmd.Context(), image, reg)
		if err != nil {
			return err
		}
		for _, d := range docs {
			b.VEX = append(b.VEX, d.Raw)
		}
	}
	return nil
}

// storedRelease reads a release from --db as the server decides it: the
// stored SBOM of each image (an image without one denies with
// input.sbom-missing rather than pretending it is clean), the stored
// environment, the tenant's advisories, VEX statements and issuers (unless
// --vex-issuers names others), its exception log (unless --exceptions)
// and the release deployed in the environment now.
func storedRelease(cmd *cobra.Command, sf *scanFlags, key string, src *decide.Sources, b *decide.Blobs) error {
	if sf.db == "" {
		return withCode(ExitUsage, "release:%s needs --db, the store that holds the release", key)
	}
	ctx := cmd.Context()
	db, err := openStore(ctx, sf.db)
	if err != nil {
		return err
	}
	defer db.Close()
	rel, err := db.GetRelease(ctx, sf.tenant, key)
	if err != nil {
		return withCode(ExitUsage, "release %q: %v", key, err)
	}
	if rel.Digest == "" {
		return withCode(ExitUsage, "release %q is a draft: finalize it so its digest names what is decided", key)
	}
	src.Tenant, src.ReleaseID, src.ReleaseName, src.ReleaseDigest = sf.tenant, rel.ID, rel.Name, rel.Digest
	sbomOf := func(ctx context.Context, image string) ([]byte, error) {
		rec, err := db.SBOMByImage(ctx, sf.tenant, image)
		if errors.Is(err, sbom.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return rec.Document, nil
	}
	dr, err := release.ForDecision(ctx, rel, sbomOf)
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	src.Components, b.SBOMs = sourceComponents(dr)
	advs, _, err := storeAdvisories(ctx, db, sf.db, sf.tenant)
	if err != nil {
		return err
	}
	b.Advisories = advs.Canonical()

	env, err := db.GetEnvironment(ctx, sf.tenant, src.Environment)
	switch {
	case err == nil:
		ec := decide.EnvironmentOf(env.GateEnvironment())
		src.Env = &ec
		if rel.Application != "" {
			if err := storedBaseline(ctx, db, sf.tenant, env.ID, rel.Application, src, b, sbomOf); err != nil {
				return err
			}
		}
	case !errors.Is(err, fault.ErrNotFound):
		return withCode(ExitInternal, "environment %q: %v", src.Environment, err)
	}

	if b.Issuers == nil {
		reg, err := db.Registry(ctx, sf.tenant)
		if err != nil {
			return withCode(ExitInternal, "vex issuers: %v", err)
		}
		if b.Issuers, err = json.Marshal(reg); err != nil {
			return withCode(ExitInternal, "%v", err)
		}
	}
	stmts, err := db.Statements(ctx, sf.tenant, vex.StatementFilter{})
	if err != nil {
		return withCode(ExitInternal, "vex statements: %v", err)
	}
	if len(stmts) > 0 {
		if b.Statements, err = canon.Marshal(stmts); err != nil {
			return withCode(ExitInternal, "%v", err)
		}
	}
	if b.Exceptions == nil {
		// The store's exception log as known at the cut-off, kept with the
		// other raw inputs so replay applies the same exceptions.
		exs, revs, err := db.Exceptions(ctx, sf.tenant)
		if err != nil {
			return withCode(ExitInternal, "exceptions: %v", err)
		}
		exs, revs = exception.LogAt(exs, revs, src.ClockCutoff)
		if len(exs) > 0 {
			if b.Exceptions, err = json.Marshal(decide.ExceptionLog{Exceptions: exs, Revocations: revs}); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
		}
	}
	return nil
}

// storedBaseline names the release of application deployed in the
// environment now, with its SBOMs, as the decision's baseline.
func storedBaseline(ctx context.Context, db *store.DB, tenant, envID, application string, src *decide.Sources, b *decide.Blobs, sbomOf release.SBOMLookup) error {
	id, err := db.CurrentRelease(ctx, tenant, envID, application)
	if err != nil || id == "" {
		return err
	}
	base, err := db.GetRelease(ctx, tenant, id)
	if err != nil {
		return withCode(ExitInternal, "baseline release: %v", err)
	}
	dr, err := release.ForDecision(ctx, base, sbomOf)
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	src.Baseline = &decide.BaselineSource{ReleaseID: base.ID, ReleaseName: base.Name, Digest: base.Digest}
	src.Baseline.Components, b.BaselineSBOMs = sourceComponents(dr)
	return nil
}

func sourceComponents(r decide.Release) ([]decide.SourceComponent, [][]byte) {
	cs := make([]decide.SourceComponent, len(r.Components))
	sboms := make([][]byte, len(r.Components))
	for i, c := range r.Components {
		cs[i], sboms[i] = decide.SourceComponent{Name: c.Name, Image: c.Image, Tag: c.Tag, Role: c.Role}, c.SBOM
	}
	return cs, sboms
}

// loadSources reads the manifest and every raw input it names, straight
// from the files: an input whose bytes changed is rebuilt as it now is, so
// replay can name it, rather than refused.
func loadSources(ctx context.Context, dir string) (decide.Sources, decide.Blobs, error) {
	raw, err := os.ReadFile(filepath.Join(dir, sourcesFile))
	if err != nil {
		return decide.Sources{}, decide.Blobs{}, err
	}
	s, err := decide.ParseSources(raw)
	if err != nil {
		return s, decide.Blobs{}, fmt.Errorf("%s: %w", sourcesFile, err)
	}
	b, err := s.Load(ctx, uncheckedDir{record.NewDirCAS(dir)})
	return s, b, err
}

// uncheckedDir reads a DirCAS without checking content against digests.
type uncheckedDir struct{ *record.DirCAS }

func (d uncheckedDir) Get(_ context.Context, digest string) ([]byte, error) {
	p, err := d.Path(digest)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func loadPolicies(dirs []string) ([]*policy.Bundle, error) {
	var out []*policy.Bundle
	for _, d := range dirs {
		b, err := policy.Load(d)
		if err != nil {
			return nil, withCode(ExitUsage, "--policy %s: %v", d, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// writeRecord writes the inputs (content-addressed, with the manifest
// that names the raw sources), then the canonical record, then its DSSE
// envelope when a key is given; each file through a rename, so no
// half-written file remains.
func writeRecord(cmd *cobra.Command, path string, dec *gate.Decision, key string, inputs record.MemCAS, src decide.Sources) error {
	raw, err := dec.Canonical()
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	var env []byte
	if key != "" {
		signer, err := attest.LoadSigner(key)
		if err != nil {
			return withCode(ExitTrust, "%v", err)
		}
		e, err := record.Sign(cmd.Context(), dec, signer)
		if err != nil {
			return withCode(ExitTrust, "%v", err)
		}
		if env, err = json.MarshalIndent(e, "", "  "); err != nil {
			return withCode(ExitInternal, "%v", err)
		}
	}
	dir := record.InputsDir(path)
	cas := record.NewDirCAS(dir)
	for _, b := range inputs {
		if _, err := cas.Put(cmd.Context(), b); err != nil {
			return withCode(ExitUsage, "--record: %v", err)
		}
	}
	manifest, err := json.MarshalIndent(src, "", "  ")
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	if err := writeOutput(cmd, filepath.Join(dir, sourcesFile), append(manifest, '\n')); err != nil {
		return err
	}
	if err := writeOutput(cmd, path, append(raw, '\n')); err != nil {
		return err
	}
	if env != nil {
		return writeOutput(cmd, signedRecordPath(path), append(env, '\n'))
	}
	return nil
}

// signedRecordPath is where a record's DSSE envelope goes: decisions/x.json
// gives decisions/x.dsse.json.
func signedRecordPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".dsse.json"
}

func decisionExit(dec *gate.Decision) error {
	switch dec.Decision {
	case gate.Allow:
		return nil
	case gate.Pending:
		return withCode(ExitPending, "decision pending on %s", strings.Join(dec.PendingOn, ", "))
	}
	return withCode(ExitDeny, "decision deny: %s", strings.Join(dec.ReasonCodes, ", "))
}

// vexOrUsage calls a VEX document that fails its signature check a trust
// failure and anything else bad input.
func vexOrUsage(err error) error {
	if errors.Is(err, attest.ErrVerify) {
		return withCode(ExitTrust, "%v", err)
	}
	return withCode(ExitUsage, "%v", err)
}

func printDecision(w io.Writer, output string, dec *gate.Decision) error {
	if output == "json" {
		raw, err := dec.Canonical()
		if err != nil {
			return err
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, pretty.String())
		return err
	}
	fmt.Fprintf(w, "decision: %s (%s) for %s → %s (%s) at %s\n", dec.Decision, dec.Mode,
		dec.Release.Name, dec.Environment.Name, dec.Environment.Tier, dec.ClockCutoff.Format("2006-01-02T15:04:05Z"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GATE\tTYPE\tSTATUS\tREASONS\tMESSAGE")
	for _, gr := range dec.Gates {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", gr.ID, gr.Type, gr.Status, dash(strings.Join(gr.ReasonCodes, ",")), gr.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "determinismHash: %s\nrecordDigest:    %s\n", dec.DeterminismHash, dec.RecordDigest)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newGateReplayCmd(g *globals) *cobra.Command {
	var inputs string
	cmd := &cobra.Command{
		Use:   "replay RECORD [--inputs DIR]",
		Short: "Re-run a recorded decision from its inputs and compare: match or mismatch",
		Long: `Re-run the evaluation of a decision record written by "stella gate eval
--record" from the inputs kept beside it (--inputs, default RECORD's ".inputs"
directory), offline. The SBOM is matched again against the recorded advisory
snapshot, VEX consensus is recomputed from the recorded documents, and the
gates run with the recorded configuration, policy bundles, exceptions and
clock cut-off.

Exit codes: 0 match; 10 mismatch, with the fields that differ and the inputs
whose content changed (e.g. advisorySnapshotId); 3 the record or an input
is missing or does not match its own digest; 2 unreadable record.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := readRecord(args[0])
			if err != nil {
				return err
			}
			if inputs == "" {
				inputs = record.InputsDir(args[0])
			}
			var opts []record.Option
			src, blobs, err := loadSources(cmd.Context(), inputs)
			if err != nil {
				return withCode(ExitIntegrity, "--inputs %s: %v", inputs, err)
			}
			req, _, err := src.Request(cmd.Context(), blobs)
			if err != nil {
				return withCode(ExitIntegrity, "--inputs %s: %v", inputs, err)
			}
			in, meta, err := decide.Input(cmd.Context(), req)
			if err != nil {
				return withCode(ExitIntegrity, "--inputs %s: %v", inputs, err)
			}
			opts = append(opts, record.WithInput(in, meta.Inputs))
			res, err := record.Replay(cmd.Context(), rec, record.NewDirCAS(inputs), opts...)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			if err := printReplay(cmd.OutOrStdout(), g.output, res); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			switch res.Outcome {
			case record.Match:
				return nil
			case record.Mismatch:
				return withCode(ExitMismatch, "replay mismatch: changed inputs %v", res.ChangedInputs)
			}
			return withCode(ExitIntegrity, "replay failed: %s", res.Reason)
		},
	}
	cmd.Flags().StringVar(&inputs, "inputs", "", "directory of the recorded inputs (default: RECORD's .inputs directory)")
	return cmd
}

// readRecord reads a decision record and checks its digests: an unreadable
// record exits 2, one that does not match its own digests 3.
func readRecord(path string) (*gate.Decision, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	rec, err := gate.ParseDecision(raw)
	if err != nil {
		return nil, withCode(ExitUsage, "%s: %v", path, err)
	}
	if err := rec.CheckDigests(); err != nil {
		return nil, withCode(ExitIntegrity, "%s: %v", path, err)
	}
	return rec, nil
}

// replayReport is the JSON form of a replay result.
type replayReport struct {
	Outcome       record.Outcome      `json:"outcome"`
	Reason        string              `json:"reason,omitempty"`
	RecordedHash  string              `json:"recordedDeterminismHash"`
	ReplayedHash  string              `json:"replayedDeterminismHash,omitempty"`
	ChangedInputs []string            `json:"changedInputs"`
	Diff          []record.Difference `json:"diff"`
}

func printReplay(w io.Writer, output string, res record.ReplayResult) error {
	rep := replayReport{Outcome: res.Outcome, Reason: res.Reason, RecordedHash: res.RecordedHash, ReplayedHash: res.ReplayedHash,
		ChangedInputs: res.ChangedInputs, Diff: res.Diff}
	if rep.ChangedInputs == nil {
		rep.ChangedInputs = []string{}
	}
	if rep.Diff == nil {
		rep.Diff = []record.Difference{}
	}
	if output == "json" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	fmt.Fprintf(w, "replay: %s\n", rep.Outcome)
	if rep.Reason != "" {
		fmt.Fprintf(w, "reason: %s\n", rep.Reason)
	}
	for _, c := range rep.ChangedInputs {
		fmt.Fprintf(w, "changed input: %s\n", c)
	}
	for _, d := range rep.Diff {
		fmt.Fprintf(w, "differs: %s: recorded %s, replayed %s\n", d.Field, d.Recorded, d.Replayed)
	}
	_, err := fmt.Fprintf(w, "determinismHash: recorded %s, replayed %s\n", rep.RecordedHash, dash(rep.ReplayedHash))
	return err
}

func newGateExplainCmd(g *globals) *cobra.Command {
	var inputs string
	cmd := &cobra.Command{
		Use:   "explain RECORD [--inputs DIR]",
		Short: "Explain a recorded decision: each gate that did not pass and the findings behind it",
		Long: `Print a decision record written by "stella gate eval --record": the
decision, every gate that did not pass with its reason codes, the findings
behind it (advisory, package, severity, KEV, EPSS, VEX verdict, exception)
taken from the recorded input, the counted approvals and the input digests.
--output json prints the same as {decision, reasonCodes, gates[{gate,
findings}], approvals, inputs}.

Exit codes: 0 printed; 2 unreadable record; 3 the record or its input does
not match its digest.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := readRecord(args[0])
			if err != nil {
				return err
			}
			if inputs == "" {
				inputs = record.InputsDir(args[0])
			}
			doc, err := record.NewDirCAS(inputs).Get(cmd.Context(), rec.Inputs.InputDocumentDigest)
			if err != nil {
				return withCode(ExitIntegrity, "--inputs %s: %v", inputs, err)
			}
			in, err := gate.UnmarshalReplayInput(doc)
			if err != nil {
				return withCode(ExitIntegrity, "--inputs %s: %v", inputs, err)
			}
			if err := printExplanation(cmd.OutOrStdout(), g.output, rec, record.Explain(rec, in)); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&inputs, "inputs", "", "directory of the recorded inputs (default: RECORD's .inputs directory)")
	return cmd
}

func printExplanation(w io.Writer, output string, rec *gate.Decision, ex []record.Explanation) error {
	if output == "json" {
		type gateJSON struct {
			Gate     gate.GateRecord `json:"gate"`
			Findings []gate.Finding  `json:"findings"`
		}
		gates := make([]gateJSON, len(ex))
		for i, e := range ex {
			gates[i] = gateJSON{e.Gate, e.Findings}
		}
		b, err := json.MarshalIndent(map[string]any{
			"decision": rec.Decision, "reasonCodes": rec.ReasonCodes, "gates": gates,
			"approvals": rec.Approvals, "exceptions": rec.Exceptions, "inputs": rec.Inputs,
		}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	fmt.Fprintf(w, "decision: %s (%s) for %s (%s) → %s (%s) at %s\n", rec.Decision, rec.Mode, rec.Release.Name, rec.Release.Digest,
		rec.Environment.Name, rec.Environment.Tier, rec.ClockCutoff.Format(time.RFC3339))
	fmt.Fprintf(w, "reasons: %s\n", dash(strings.Join(rec.ReasonCodes, ", ")))
	for _, e := range ex {
		fmt.Fprintf(w, "\n%s (%s): %s — %s\n", e.Gate.ID, e.Gate.Type, e.Gate.Status, e.Gate.Message)
		if len(e.Findings) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ADVISORY\tPACKAGE\tCOMPONENT\tSEVERITY\tKEV\tEPSS\tVEX\tEXCEPTION")
		for _, f := range e.Findings {
			kev, epss, vx, exc := "-", "-", "-", "-"
			if f.KEV != nil {
				kev = "since " + f.KEV.DateAdded
			}
			if f.EPSS != nil {
				epss = strconv.FormatFloat(f.EPSS.Score, 'f', -1, 64)
			}
			if f.VEX != nil {
				vx = fmt.Sprintf("%s (%g)", f.VEX.Status, f.VEX.Confidence)
			}
			if f.Exception != nil {
				exc = f.Exception.ID
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.AdvisoryID, f.Component.Purl, f.Component.Name, f.Severity, kev, epss, vx, exc)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, a := range rec.Approvals {
		fmt.Fprintf(w, "approval: %s %s at %s\n", a.ApproverID, a.Action, a.At.Format(time.RFC3339))
	}
	x := rec.Inputs
	_, err := fmt.Fprintf(w, "inputs: sboms %s; advisories %s; issuers %s; policy %s; gates %s; exceptions %s; input %s\n",
		strings.Join(x.SBOMDigests, ","), x.AdvisorySnapshotID, dash(x.IssuerRegistryDigest), dash(x.PolicyDigest),
		x.GateConfigDigest, x.ExceptionsDigest, x.InputDocumentDigest)
	return err
}
