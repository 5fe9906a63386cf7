package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// variant is one concrete request of a filter kind.
type variant struct {
	filter map[string]any // the GraphQL ReleaseFilter input
	after  string         // cursor, for second pages
	// check validates one returned node; nil checks nothing beyond the basics.
	check func(n node) error
}

// filterKind is a family of realistic filters the load generator rotates through.
type filterKind struct {
	name      string
	desc      string
	nonEmpty  bool // every response must hold at least one node
	variants  []variant
	needsPrev string // for second pages: the kind whose first pages give the cursors
}

// buildFilters derives the filters from the dataset's probes, so that each one
// matches rows the load wrote.
func buildFilters(ds *dataset, seed uint64) []*filterKind {
	rng := rand.New(rand.NewPCG(seed, 0xf117e5))
	apps := slices.Clone(appNames)
	rng.Shuffle(len(apps), func(i, j int) { apps[i], apps[j] = apps[j], apps[i] })
	apps = apps[:8]
	var comps []string
	for c := range ds.usedComponents {
		comps = append(comps, c)
	}
	slices.Sort(comps)
	rng.Shuffle(len(comps), func(i, j int) { comps[i], comps[j] = comps[j], comps[i] })
	comps = comps[:min(8, len(comps))]

	statusIs := func(want string) func(node) error {
		return func(n node) error {
			if n.Status != want {
				return fmt.Errorf("status %s, want %s", n.Status, want)
			}
			return nil
		}
	}
	var kinds []*filterKind
	add := func(k *filterKind) { kinds = append(kinds, k) }

	k := &filterKind{name: "none", desc: "no filter (baseline)", nonEmpty: true}
	k.variants = []variant{{filter: nil}}
	add(k)

	k = &filterKind{name: "application", desc: "application: <app> (8 apps)", nonEmpty: true}
	for _, a := range apps {
		k.variants = append(k.variants, variant{filter: map[string]any{"application": a}})
	}
	add(k)

	k = &filterKind{name: "status", desc: "status: finalized", nonEmpty: true}
	k.variants = []variant{{filter: map[string]any{"status": "finalized"}, check: statusIs("finalized")}}
	add(k)

	k = &filterKind{name: "component", desc: "component: <name> (8 names)", nonEmpty: true}
	for _, c := range comps {
		c := c
		k.variants = append(k.variants, variant{filter: map[string]any{"component": c}, check: func(n node) error {
			for _, nc := range n.Components {
				if nc.Name == c {
					return nil
				}
			}
			return fmt.Errorf("release %s has no component %s", n.Name, c)
		}})
	}
	add(k)

	k = &filterKind{name: "digest", desc: "digest: <image digest> (8, new to old; 1 release digest)", nonEmpty: true}
	digests := append(slices.Clone(ds.sampleDigests), ds.releaseDigest)
	for _, d := range digests {
		if d == "" {
			continue
		}
		d := d
		k.variants = append(k.variants, variant{filter: map[string]any{"digest": d}, check: func(n node) error {
			if n.Digest != nil && *n.Digest == d {
				return nil
			}
			for _, nc := range n.Components {
				if nc.Digest == d {
					return nil
				}
			}
			return fmt.Errorf("release %s does not hold digest %s", n.Name, d)
		}})
	}
	add(k)

	k = &filterKind{name: "digest-miss", desc: "digest: <unknown image digest> (empty result)"}
	for i := 0; i < 4; i++ {
		k.variants = append(k.variants, variant{filter: map[string]any{"digest": randDigest(rng)}})
	}
	add(k)

	k = &filterKind{name: "nameContains", desc: "nameContains: <app>-v<maj>.<min> (8, new to old) or <app>", nonEmpty: true}
	subs := []string{}
	for _, n := range ds.sampleNames {
		// "billing-v2.13.7" -> "billing-v2.13."
		if i := strings.LastIndex(n, "."); i > 0 {
			subs = append(subs, n[:i+1])
		}
	}
	subs = append(subs, apps[0][:4], "-v1.1")
	for _, s := range subs {
		s := s
		k.variants = append(k.variants, variant{filter: map[string]any{"nameContains": s}, check: func(n node) error {
			if !strings.Contains(strings.ToLower(n.Name), strings.ToLower(s)) {
				return fmt.Errorf("name %s does not contain %q", n.Name, s)
			}
			return nil
		}})
	}
	add(k)

	k = &filterKind{name: "createdRange", desc: "createdAfter/createdBefore: a 7-day window (8, new to old)", nonEmpty: true}
	for i := 0; i < 8; i++ {
		end := baseTime.Add(span - time.Duration(i)*span/8)
		k.variants = append(k.variants, variant{filter: map[string]any{
			"createdAfter":  end.Add(-7 * 24 * time.Hour).Format(time.RFC3339),
			"createdBefore": end.Format(time.RFC3339),
		}})
	}
	add(k)

	k = &filterKind{name: "app+status", desc: "application: <app>, status: finalized", nonEmpty: true}
	for _, a := range apps {
		k.variants = append(k.variants, variant{filter: map[string]any{"application": a, "status": "finalized"}, check: statusIs("finalized")})
	}
	add(k)

	// Cursors are filled in by the load generator from first pages of app+status.
	k = &filterKind{name: "page2", desc: "app+status, second page (after: endCursor)", nonEmpty: true, needsPrev: "app+status"}
	add(k)
	return kinds
}
