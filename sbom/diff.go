package sbom

import (
	"cmp"
	"slices"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/stella-ops/stella/internal/canon"
)

// ChangeKind says how a package differs between two documents.
type ChangeKind string

// Change kinds, in their sort order.
const (
	Added   ChangeKind = "added"
	Changed ChangeKind = "changed"
	Removed ChangeKind = "removed"
)

// DiffResult is the difference between two SBOMs (sbom.md §7). Changes are
// sorted by package key, then kind, then versions; layer lists keep the
// base → top order of the image they come from.
type DiffResult struct {
	Changes       []Change `json:"changes"`
	AddedLayers   []string `json:"addedLayers"`   // diffIDs only in the new image
	RemovedLayers []string `json:"removedLayers"` // diffIDs only in the old image
	SharedLayers  []string `json:"sharedLayers"`  // diffIDs in both, in the new image's order
}

// Change is one package added, removed or changed (another version).
type Change struct {
	Key      string     `json:"key"` // package key: purl without version (arch kept), or key without version
	Kind     ChangeKind `json:"kind"`
	Name     string     `json:"name"`
	Identity string     `json:"identity"`       // purl or key: in the new document, or the old one for removed
	From     string     `json:"from,omitempty"` // old version (changed, removed)
	To       string     `json:"to,omitempty"`   // new version (added, changed)
	// Layer is the diffID that explains the change: the new image's
	// introducing layer for added/changed, the old image's for removed.
	Layer string `json:"layer,omitempty"`
	// RemovedBy is the new image's layer whose whiteout removed the package,
	// when that can be told: the old introducing layer is still in the new
	// image and exactly one new layer sits above it.
	RemovedBy string `json:"removedBy,omitempty"`
}

// ContentDigest is "sha256:<hex>" of the diff's canonical JSON.
func (r *DiffResult) ContentDigest() (string, error) {
	return canon.Digest(r)
}

// PackageKey is a component's package key (sbom.md §7.1): purl type,
// namespace and name plus the arch qualifier; for keyed components, the key
// without its "@version".
func PackageKey(c *Component) string {
	if c.PURL == "" {
		if k, ok := strings.CutPrefix(c.Key, "gen:"); ok {
			if i := strings.LastIndex(k, "@"); i >= 0 {
				k = k[:i]
			}
			return "gen:" + k
		}
		return c.Key
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		// An unparsable purl still needs a stable key: drop what follows "@".
		if i := strings.LastIndex(c.PURL, "@"); i > 0 {
			return c.PURL[:i]
		}
		return c.PURL
	}
	var q packageurl.Qualifiers
	if arch := p.Qualifiers.Map()["arch"]; arch != "" {
		q = packageurl.Qualifiers{{Key: "arch", Value: arch}}
	}
	return packageurl.NewPackageURL(p.Type, p.Namespace, p.Name, "", q, "").ToString()
}

// componentVersion is the version to compare: the component's own, or the
// purl's when the component has none.
func componentVersion(c *Component) string {
	if c.Version != "" || c.PURL == "" {
		return c.Version
	}
	if p, err := packageurl.FromString(c.PURL); err == nil {
		return p.Version
	}
	return ""
}

// Diff compares an old document (before) with a new one (after). Neither is modified. A nil document counts as
// empty. Packages present in both with the same version are not listed.
func Diff(before, after *Document) *DiffResult {
	if before == nil {
		before = &Document{}
	}
	if after == nil {
		after = &Document{}
	}
	r := &DiffResult{Changes: []Change{}}
	r.AddedLayers, r.RemovedLayers, r.SharedLayers = compareLayers(before.Layers, after.Layers)

	oldBy, newBy := groupByKey(before.Components), groupByKey(after.Components)
	for key, olds := range oldBy {
		news := newBy[key]
		r.Changes = append(r.Changes, diffKey(key, olds, news, after.Layers, r.AddedLayers)...)
	}
	for key, news := range newBy {
		if _, seen := oldBy[key]; !seen {
			r.Changes = append(r.Changes, diffKey(key, nil, news, after.Layers, r.AddedLayers)...)
		}
	}
	slices.SortFunc(r.Changes, func(a, b Change) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(string(a.Kind), string(b.Kind)),
			strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), strings.Compare(a.Identity, b.Identity))
	})
	return r
}

func groupByKey(cs []Component) map[string][]*Component {
	m := map[string][]*Component{}
	for i := range cs {
		k := PackageKey(&cs[i])
		m[k] = append(m[k], &cs[i])
	}
	return m
}

// diffKey compares the versions of one package key. Versions on both sides
// are unchanged; one old and one new version left over make a change; any
// other remainder is reported as separate removals and additions (a tree may
// hold several versions of one package).
func diffKey(key string, olds, news []*Component, newLayers []Layer, addedLayers []string) []Change {
	inNew := map[string]bool{}
	for _, c := range news {
		inNew[componentVersion(c)] = true
	}
	inOld := map[string]bool{}
	for _, c := range olds {
		inOld[componentVersion(c)] = true
	}
	var gone, came []*Component
	for _, c := range olds {
		if !inNew[componentVersion(c)] {
			gone = append(gone, c)
		}
	}
	for _, c := range news {
		if !inOld[componentVersion(c)] {
			came = append(came, c)
		}
	}
	if len(gone) == 1 && len(came) == 1 {
		o, n := gone[0], came[0]
		return []Change{{Key: key, Kind: Changed, Name: n.Name, Identity: n.Identity(),
			From: componentVersion(o), To: componentVersion(n), Layer: diffIDOf(n.Introduced)}}
	}
	var out []Change
	for _, o := range gone {
		layer := diffIDOf(o.Introduced)
		out = append(out, Change{Key: key, Kind: Removed, Name: o.Name, Identity: o.Identity(),
			From: componentVersion(o), Layer: layer, RemovedBy: removedBy(layer, newLayers, addedLayers)})
	}
	for _, n := range came {
		out = append(out, Change{Key: key, Kind: Added, Name: n.Name, Identity: n.Identity(),
			To: componentVersion(n), Layer: diffIDOf(n.Introduced)})
	}
	return out
}

func diffIDOf(l *LayerRef) string {
	if l == nil {
		return ""
	}
	return l.DiffID
}

// removedBy names the new layer that whited out a package introduced by
// layer, when exactly one layer new to the image sits above it.
func removedBy(layer string, newLayers []Layer, addedLayers []string) string {
	at := slices.IndexFunc(newLayers, func(l Layer) bool { return l.DiffID == layer })
	if layer == "" || at < 0 {
		return ""
	}
	var candidate string
	for _, l := range newLayers[at+1:] {
		if slices.Contains(addedLayers, l.DiffID) {
			if candidate != "" && candidate != l.DiffID {
				return ""
			}
			candidate = l.DiffID
		}
	}
	return candidate
}

// compareLayers splits diffIDs into added, removed and shared, each without
// duplicates and in its image's base → top order.
func compareLayers(old, new []Layer) (added, removed, shared []string) {
	oldIDs, newIDs := layerIDs(old), layerIDs(new)
	added, removed, shared = []string{}, []string{}, []string{}
	for _, id := range newIDs {
		if slices.Contains(oldIDs, id) {
			shared = append(shared, id)
		} else {
			added = append(added, id)
		}
	}
	for _, id := range oldIDs {
		if !slices.Contains(newIDs, id) {
			removed = append(removed, id)
		}
	}
	return added, removed, shared
}

func layerIDs(ls []Layer) []string {
	ls = slices.Clone(ls)
	slices.SortStableFunc(ls, func(a, b Layer) int { return cmp.Compare(a.Index, b.Index) })
	var ids []string
	for _, l := range ls {
		if l.DiffID != "" && !slices.Contains(ids, l.DiffID) {
			ids = append(ids, l.DiffID)
		}
	}
	return ids
}
