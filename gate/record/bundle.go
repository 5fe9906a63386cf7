package record

import (
	"context"
	"fmt"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/policy"
)

// LoadBundle reads a policy bundle back from a resolver by digest: the
// manifest gate.StoreBundle wrote, then each file it names.
func LoadBundle(ctx context.Context, r Resolver, digest string) (*policy.Bundle, error) {
	raw, err := resolve(ctx, r, digest)
	if err != nil {
		return nil, err
	}
	var m gate.BundleManifest
	if err := jsonStrict(raw, &m); err != nil {
		return nil, fmt.Errorf("record: bundle manifest %s: %w", digest, err)
	}
	files := make(map[string][]byte, len(m.Files))
	for _, f := range m.Files {
		c, err := resolve(ctx, r, "sha256:"+f.SHA256)
		if err != nil {
			return nil, err
		}
		files[f.Path] = c
	}
	b, err := policy.FromFiles(files)
	if err != nil {
		return nil, err
	}
	if b.Digest() != digest {
		return nil, fmt.Errorf("%w: bundle %s rebuilt as %s", ErrDigestMismatch, digest, b.Digest())
	}
	return b, nil
}
