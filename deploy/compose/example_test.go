package compose_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/stella-ops/stella/deploy/compose"
)

func Example() {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b, err := compose.Render(compose.Lock{
		Release:     compose.Release{ID: "r1", Name: "myapp-v2.3.1", Digest: "sha256:" + strings.Repeat("a", 64)},
		Environment: compose.Environment{ID: "e1", Name: "prod"},
		Deployment:  compose.Deployment{ID: "d1", StartedAt: at},
		Generator:   "stella@1.4.0",
		Generated:   at,
		Services: map[string]compose.Service{"api": {
			Repository: "registry.example.com/myapp/api", Digest: "sha256:" + strings.Repeat("b", 64), Tag: "v2.3.1", Component: "api",
			Env: map[string]compose.Value{"DATABASE_URL": compose.Secret("DATABASE_URL"), "LOG_LEVEL": compose.Literal("info")},
		}},
	})
	if err != nil {
		panic(err)
	}
	lines := strings.Split(string(b), "\n")
	fmt.Println(strings.Join(lines[4:11], "\n"))
	fmt.Println(compose.Verify(b))
	// Output:
	// name: prod
	// services:
	//   api:
	//     environment:
	//       DATABASE_URL: ${DATABASE_URL}
	//       LOG_LEVEL: info
	//     image: registry.example.com/myapp/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb   # tag: v2.3.1
	// <nil>
}
