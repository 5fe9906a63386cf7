package syft_test

import (
	"context"
	"fmt"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/syft"
)

// Example inventories a directory holding an npm project's package-lock.json.
func Example() {
	ctx := context.Background()
	c, err := syft.New()
	if err != nil {
		panic(err)
	}
	doc, err := sbom.Generate(ctx, sbom.Dir("testdata/npmapp"), sbom.WithCataloger(c))
	if err != nil {
		panic(err)
	}
	for _, comp := range doc.Components {
		fmt.Println(comp.Identity(), comp.FoundBy)
	}
	// Output:
	// pkg:npm/debug@4.3.4 [javascript-lock-cataloger]
	// pkg:npm/ms@2.1.2 [javascript-lock-cataloger]
	// pkg:npm/once@1.4.0 [javascript-lock-cataloger]
	// pkg:npm/stella-npm-fixture@1.0.0 [javascript-lock-cataloger]
	// pkg:npm/wrappy@1.0.2 [javascript-lock-cataloger]
}
