package step_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/stella-ops/stella/release/workflow/step"
)

func ExampleRegistry_Register() {
	reg := step.Builtins(step.Deps{})
	reg.Register("echo", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
		var cfg struct {
			Text string `json:"text"`
		}
		if err := step.DecodeConfig(in.Config, &cfg); err != nil {
			return step.Output{}, err // a bad config is final
		}
		fmt.Fprintln(in.Log, cfg.Text)
		return step.Output{Values: map[string]any{"text": cfg.Text}}, nil
	}))

	echo, _ := reg.Lookup("echo")
	out, err := echo.Run(context.Background(), step.Input{Config: json.RawMessage(`{"text": "hi"}`), Log: os.Stdout})
	fmt.Println(out.Values["text"], err, reg.Known("echo"), len(reg.Types()))

	_, err = echo.Run(context.Background(), step.Input{Config: json.RawMessage(`{"txt": "hi"}`)})
	fmt.Println(err, step.IsRetriable(err))
	// Output:
	// hi
	// hi <nil> true 11
	// invalid input: config.txt: unknown field false
}
