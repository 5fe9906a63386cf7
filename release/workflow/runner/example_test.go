package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/store"
)

func Example() {
	dir, _ := os.MkdirTemp("", "runner-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "stella.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()

	steps := step.NewRegistry()
	steps.Register("greet", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
		return step.Output{Values: map[string]any{"greeting": "hello " + in.Inputs["who"].(string)}}, nil
	}))
	r, err := runner.New(db, steps)
	if err != nil {
		panic(err)
	}
	if err := r.Start(ctx); err != nil {
		panic(err)
	}
	defer r.Stop(ctx)

	t := workflow.Template{
		Name:    "greeting",
		Inputs:  map[string]any{"who": nil},
		Nodes:   []workflow.Node{{ID: "greet", Type: "greet"}},
		Outputs: map[string]string{"greeting": "nodes.greet.outputs.greeting"},
	}
	id, err := r.Submit(ctx, "acme", t, map[string]any{"who": "world"}, runner.WithRunID("run-1"))
	if err != nil {
		panic(err)
	}
	run, err := r.Wait(ctx, "acme", id)
	if err != nil {
		panic(err)
	}
	fmt.Println(run.State, run.Outputs()["greeting"])
	// Output: succeeded hello world
}
