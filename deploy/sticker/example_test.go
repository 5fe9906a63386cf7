package sticker_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/stella-ops/stella/deploy/sticker"
)

func Example() {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := sticker.New(sticker.Input{
		GeneratedAt: at,
		Generator:   "stella@1.4.0",
		Release: sticker.Release{ID: "r1", Name: "myapp-v2.3.1", Digest: "sha256:" + strings.Repeat("a", 64), CreatedAt: at,
			Components: []sticker.Component{{Name: "api", Repository: "registry.example.com/myapp/api",
				Digest: "sha256:" + strings.Repeat("b", 64), SemVer: "2.3.1", Tag: "v2.3.1"}}},
		Deployment: sticker.Deployment{ID: "d1", PromotionID: "p1", EnvironmentID: "e1", EnvironmentName: "prod",
			TargetID: "t1", TargetName: "web-1", Strategy: "rolling", StartedAt: at, CompletedAt: at},
	})
	if err != nil {
		panic(err)
	}
	b, _ := s.Marshal()
	back, err := sticker.Parse(b)
	fmt.Println(back.Deployment.TargetName, err)
	// Output: web-1 <nil>
}
