package sbom

import (
	"fmt"

	"github.com/stella-ops/stella/internal/canon"
)

// attribute sets Introduced and FirstSeen on the components of the top
// prefix (sbom.md §4), given the component sets of every prefix 0..n-1:
//   - introducedBy(c) is the smallest i with c in inv(j) for every j ≥ i;
//   - firstSeen is the earliest layer before that which held the same package
//     key with another identity (another version).
func attribute(cs []Component, sets []componentSet, layers []Layer) {
	n := len(sets)
	for k := range cs {
		c := &cs[k]
		id := c.Identity()
		i := n - 1
		for i > 0 {
			if _, ok := sets[i-1].keys[id]; !ok {
				break
			}
			i--
		}
		c.Introduced = &LayerRef{DiffID: layers[i].DiffID, Index: i}
		key := sets[n-1].keys[id]
		c.FirstSeen = nil
		for j := 0; j < i && c.FirstSeen == nil; j++ {
			for other, otherKey := range sets[j].keys {
				if otherKey == key && other != id {
					c.FirstSeen = &LayerRef{DiffID: layers[j].DiffID, Index: j}
					break
				}
			}
		}
	}
}

// Composition records how an image's document is composed from per-layer
// fragments (sbom.md §5).
type Composition struct {
	Fragments  []Fragment `json:"fragments"` // by LayerIndex, base → top
	MerkleRoot string     `json:"merkleRoot"`
}

// Fragment is one layer's share of a document: the components that layer
// introduced.
type Fragment struct {
	LayerIndex     int    `json:"layerIndex"`
	DiffID         string `json:"diffID"`
	FragmentDigest string `json:"fragmentDigest"`           // sha256 of FragmentBytes
	EnvelopeDigest string `json:"envelopeDigest,omitempty"` // when the fragment is DSSE-signed
}

// Digest is the composition digest (stella:composition.digest): sha256 of
// the record's canonical JSON.
func (c *Composition) Digest() (string, error) { return canon.Digest(c) }

// Compose recomputes the composition of a normalized image document: one
// fragment per layer, its digest, and the Merkle root over the fragment
// digests in layer order. A verifier compares the result with the document's
// stella:merkle.root and stella:composition.digest properties.
func Compose(d *Document) (*Composition, error) {
	comp := &Composition{Fragments: []Fragment{}}
	leaves := make([]string, 0, len(d.Layers))
	for _, l := range d.Layers {
		b, err := FragmentBytes(d, l.Index)
		if err != nil {
			return nil, err
		}
		f := Fragment{LayerIndex: l.Index, DiffID: l.DiffID, FragmentDigest: canon.SHA256(b)}
		comp.Fragments = append(comp.Fragments, f)
		leaves = append(leaves, f.FragmentDigest)
	}
	root, err := MerkleRoot(leaves)
	if err != nil {
		return nil, err
	}
	comp.MerkleRoot = root
	return comp, nil
}

// FragmentBytes is the canonical JSON of the components a layer introduced,
// sorted by identity (as Normalize leaves them). Every component of an image
// document must name the layer that introduced it.
func FragmentBytes(d *Document, layerIndex int) ([]byte, error) {
	frag := []Component{}
	for i := range d.Components {
		c := &d.Components[i]
		if c.Introduced == nil {
			return nil, fmt.Errorf("sbom: component %s names no layer", c.Identity())
		}
		if c.Introduced.Index == layerIndex {
			frag = append(frag, *c)
		}
	}
	return canon.Marshal(frag)
}
