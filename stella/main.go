// Command stella is the friendly surface over Stella's packages: it runs the
// reference server and drives it over GraphQL.
//
//	stella serve                      # 127.0.0.1:8080, SQLite file stella.db
//	stella release list --output json
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "stella: cancelled")
		os.Exit(ExitCancelled)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stella:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(ExitUsage) // cobra's own errors are usage errors
	}
}
