package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIEnvironmentShow: after shop-v1 is promoted to dev, `env show dev`
// lists it as dev's current release of shop, with its digest and the
// promotion that deployed it, as a table and as JSON.
func TestCLIEnvironmentShow(t *testing.T) {
	s := newShopServer(t, nil)
	rel := s.rel
	must := func(args ...string) string { t.Helper(); return s.must(s.admin, args...) }
	must("env", "create", "dev", "--order", "0", "--tier", "development")
	if out := must("env", "show", "dev"); !strings.Contains(out, "APPLICATION") || strings.Contains(out, "shop-v1") {
		t.Fatalf("dev before any promotion:\n%s", out)
	}
	var p struct{ ID, Status string }
	if err := json.Unmarshal([]byte(must("promote", "shop-v1", "--to", "dev", "-o", "json")), &p); err != nil || p.Status != "deployed" {
		t.Fatalf("promote = %+v, %v", p, err)
	}

	var env struct {
		Name    string
		Current []struct {
			Application, DeployedAt string
			Release                 struct{ ID, Name, Digest string }
			Promotion               struct{ ID string }
		}
		Promotions struct {
			Nodes []struct{ ID, Status string }
		}
	}
	out := must("env", "show", "dev", "-o", "json")
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(env.Current) != 1 {
		t.Fatalf("dev current = %s", out)
	}
	c := env.Current[0]
	if c.Application != "shop" || c.Release.ID != rel.ID || c.Release.Digest != rel.Digest || c.Promotion.ID != p.ID || c.DeployedAt == "" {
		t.Errorf("dev current = %+v, want shop-v1 (%s) deployed by %s", c, rel.Digest, p.ID)
	}
	if len(env.Promotions.Nodes) != 1 || env.Promotions.Nodes[0].ID != p.ID {
		t.Errorf("dev promotions = %+v", env.Promotions.Nodes)
	}
	table := must("env", "show", "dev")
	for _, want := range []string{"dev (development", "shop", "shop-v1", rel.Digest, p.ID, "deployed"} {
		if !strings.Contains(table, want) {
			t.Errorf("env show dev lacks %q:\n%s", want, table)
		}
	}
	if out := must("env", "show", "dev", "--history", "0", "-o", "json"); strings.Contains(out, "promotions") {
		t.Errorf("--history 0 still lists promotions:\n%s", out)
	}
}
