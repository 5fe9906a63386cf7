package release_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/seal"
	"github.com/stella-ops/stella/store"
	"github.com/stella-ops/stella/tenant"
)

func ExampleService_SaveWorkflowTemplate() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stella-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "stella.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		panic(err)
	}
	templates := release.NewService(db, box)
	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: "acme", Actor: "ci"})

	doc := []byte("name: canary\nnodes:\n  - {id: deploy, type: deploy}\n  - {id: check, type: health-check, dependsOn: [deploy]}\n")
	for _, d := range [][]byte{doc, doc, append(doc, "description: slower\n"...)} {
		t, err := templates.SaveWorkflowTemplate(ctx, d)
		if err != nil {
			panic(err)
		}
		fmt.Println(t.Name, t.Version)
	}
	builtIn, err := templates.WorkflowTemplate(ctx, release.DefaultDeployName, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(builtIn.Name, builtIn.Version, builtIn.BuiltIn)
	// Output:
	// canary 1
	// canary 1
	// canary 2
	// default-deploy 1 true
}
