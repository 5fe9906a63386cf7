package oci

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
)

// imageLayer is one layer, base first, with the identity of its prefix.
type imageLayer struct {
	sbom.Layer
	layer v1.Layer
}

// enumerateLayers lists an image's layers base → top with their diffIDs,
// compressed digests and chainIDs (sbom.md §2.2). DiffIDs come from the
// image config, as a runtime takes them: computing them would decompress
// every layer once more. Unpacking a layer checks its content against them.
func enumerateLayers(img v1.Image, cf *v1.ConfigFile) ([]imageLayer, error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	if len(cf.RootFS.DiffIDs) != len(ls) {
		return nil, fmt.Errorf("image config lists %d diffIDs for %d layers", len(cf.RootFS.DiffIDs), len(ls))
	}
	out := make([]imageLayer, len(ls))
	chain := ""
	for i, l := range ls {
		diffID := cf.RootFS.DiffIDs[i]
		digest, err := l.Digest()
		if err != nil {
			return nil, fmt.Errorf("layer %d digest: %w", i, err)
		}
		chain = chainID(chain, diffID.String())
		out[i] = imageLayer{Layer: sbom.Layer{Index: i, DiffID: diffID.String(), ChainID: chain}, layer: l}
		if digest != diffID { // uncompressed layers have no separate blob digest
			out[i].Digest = digest.String()
		}
	}
	return out, nil
}

// chainID is the OCI chainID of a prefix: the base layer's diffID, then
// sha256 of "<parent chainID> <diffID>".
func chainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	return canon.SHA256([]byte(parent + " " + diffID))
}
