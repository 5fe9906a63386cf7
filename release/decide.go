package release

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/gate"
)

// SBOMLookup returns the encoded SBOM stored for an image digest, nil
// when none is stored.
type SBOMLookup func(ctx context.Context, imageDigest string) ([]byte, error)

// ForDecision is rel as package decide takes it: its components by name,
// each image with the SBOM sbomOf has for it. The server and the CLI
// decide stored releases through here, so they decide the same release.
func ForDecision(ctx context.Context, rel *Release, sbomOf SBOMLookup) (decide.Release, error) {
	out := decide.Release{ID: rel.ID, Name: rel.Name, Digest: rel.Digest, Components: make([]decide.Component, 0, len(rel.Components))}
	comps := slices.Clone(rel.Components)
	slices.SortFunc(comps, func(a, b ReleaseComponent) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range comps {
		doc, err := sbomOf(ctx, c.Digest)
		if err != nil {
			return out, fmt.Errorf("sbom of %s: %w", c.Ref(), err)
		}
		out.Components = append(out.Components, decide.Component{Name: c.Name, Image: c.Ref(), Tag: c.Tag, Role: c.Role, SBOM: doc})
	}
	return out, nil
}

// GateEnvironment is the environment as gates see it. A freeze window is
// named by its reason, else its id.
func (e *Environment) GateEnvironment() gate.Environment {
	out := gate.Environment{ID: e.ID, Name: e.Name, Tier: string(e.Tier), OrderIndex: e.OrderIndex,
		RequiredApprovals: e.RequiredApprovals, ApproverGroups: slices.Clone(e.ApproverGroups),
		RequireSeparationOfDuties: e.RequireSeparationOfDuties}
	for _, w := range e.FreezeWindows {
		out.FreezeWindows = append(out.FreezeWindows, gate.FreezeWindow{Name: cmp.Or(w.Reason, w.ID), Start: w.Start.UTC(), End: w.End.UTC(),
			Exceptions: slices.Clone(w.Exceptions)})
	}
	return out
}
