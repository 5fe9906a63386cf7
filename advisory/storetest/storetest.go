// Package storetest checks that an advisory.Store behaves as the interface
// says. Every implementation runs it:
//
//	storetest.Run(t, func(t *testing.T) advisory.Store { return openMyStore(t) })
package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
)

var fetched = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Obs builds a parsed OSV-source observation whose content hash follows its
// summary, so that a changed summary is a changed document.
func Obs(source, id, summary string, aliases ...string) advisory.Observation {
	raw := []byte(`{"id":"` + id + `","summary":"` + summary + `"}`)
	hash, err := advisory.ContentHash(raw)
	if err != nil {
		panic(err)
	}
	adv := &advisory.Advisory{ID: id, Aliases: aliases, Summary: summary, Source: source,
		Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: "example.com/" + id},
			Ranges: []advisory.Range{{Type: advisory.RangeSemver, Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.2.3"}}}}}}}
	return advisory.Observation{
		Source:      advisory.SourceRef{ID: source, ReaderVersion: "test/1"},
		Upstream:    advisory.Upstream{ID: id, Modified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), FetchedAt: fetched},
		ContentHash: hash,
		Content:     advisory.Content{Format: "osv", SpecVersion: "1.7.0", Raw: raw},
		Identifiers: advisory.NewIdentifiers(id, aliases),
		Hints:       advisory.Hints{PURLs: []string{"pkg:golang/example.com/" + id}, CPEs: []string{}},
		CreatedAt:   fetched,
		Advisory:    adv,
	}
}

func mustAppend(t *testing.T, s advisory.Store, tenant string, obs ...advisory.Observation) advisory.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), tenant, obs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func statuses(res advisory.AppendResult) []string {
	var out []string
	for _, o := range res.Outcomes {
		out = append(out, string(o.Status)+" "+o.ID)
	}
	return out
}

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) advisory.Store) {
	ctx := context.Background()
	t.Run("append and read", func(t *testing.T) {
		s := open(t)
		a, b := Obs("osv", "GO-2024-0001", "one", "CVE-2024-0001"), Obs("ghsa", "GHSA-aaaa-bbbb-cccc", "two")
		res := mustAppend(t, s, "acme", a, b)
		if res.Appended != 2 || res.Skipped != 0 ||
			!slices.Equal(statuses(res), []string{"appended osv:GO-2024-0001:1", "appended ghsa:GHSA-aaaa-bbbb-cccc:1"}) {
			t.Fatalf("got %+v", res)
		}
		got, err := s.Observation(ctx, "acme", "osv:GO-2024-0001:1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Tenant != "acme" || got.ContentHash != a.ContentHash || string(got.Content.Raw) != string(a.Content.Raw) ||
			got.Source != a.Source || !got.Upstream.Modified.Equal(a.Upstream.Modified) || !got.Upstream.FetchedAt.Equal(fetched) ||
			!slices.Equal(got.Identifiers.Aliases, []string{"CVE-2024-0001"}) || got.Hints.PURLs[0] != a.Hints.PURLs[0] ||
			got.Supersedes != "" || !got.CreatedAt.Equal(fetched) || got.Content.SpecVersion != "1.7.0" {
			t.Fatalf("got %+v", got)
		}
		if got.Advisory == nil || got.Advisory.Summary != "one" || got.Advisory.Affected[0].Ranges[0].Events[1].Fixed != "1.2.3" {
			t.Fatalf("parsed advisory not kept: %+v", got.Advisory)
		}
		latest, err := s.Latest(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 2 || latest[0].ID != "ghsa:GHSA-aaaa-bbbb-cccc:1" || latest[1].ID != "osv:GO-2024-0001:1" {
			t.Fatalf("latest: %+v", latest)
		}
	})
	t.Run("append is idempotent by content hash", func(t *testing.T) {
		s := open(t)
		a := Obs("osv", "GO-2024-0001", "one")
		mustAppend(t, s, "acme", a)
		a.Upstream.FetchedAt = fetched.Add(time.Hour) // fetched again, same content
		res := mustAppend(t, s, "acme", a)
		if res.Appended != 0 || res.Skipped != 1 || !slices.Equal(statuses(res), []string{"skip-identical osv:GO-2024-0001:1"}) {
			t.Fatalf("got %+v", res)
		}
		revs, err := s.Revisions(ctx, "acme", "osv", "GO-2024-0001")
		if err != nil || len(revs) != 1 {
			t.Fatalf("revisions: %d, %v", len(revs), err)
		}
	})
	t.Run("changed content is the next revision", func(t *testing.T) {
		s := open(t)
		mustAppend(t, s, "acme", Obs("osv", "GO-2024-0001", "one"))
		res := mustAppend(t, s, "acme", Obs("osv", "GO-2024-0001", "one, corrected"))
		if res.Appended != 1 || res.Outcomes[0].ID != "osv:GO-2024-0001:2" || res.Outcomes[0].Supersedes != "osv:GO-2024-0001:1" ||
			res.Outcomes[0].Revision != 2 {
			t.Fatalf("got %+v", res)
		}
		// Back to the first content: a third revision, since only the latest counts.
		res = mustAppend(t, s, "acme", Obs("osv", "GO-2024-0001", "one"))
		if res.Appended != 1 || res.Outcomes[0].ID != "osv:GO-2024-0001:3" {
			t.Fatalf("got %+v", res)
		}
		latest, err := s.Latest(ctx, "acme")
		if err != nil || len(latest) != 1 || latest[0].ID != "osv:GO-2024-0001:3" || latest[0].Supersedes != "osv:GO-2024-0001:2" {
			t.Fatalf("latest %+v, %v", latest, err)
		}
		old, err := s.Observation(ctx, "acme", "osv:GO-2024-0001:1")
		if err != nil || old.Advisory.Summary != "one" {
			t.Fatalf("superseded revision must stay readable: %+v, %v", old, err)
		}
		revs, err := s.Revisions(ctx, "acme", "osv", "GO-2024-0001")
		if err != nil || len(revs) != 3 || revs[0].ID != "osv:GO-2024-0001:1" || revs[2].ID != "osv:GO-2024-0001:3" {
			t.Fatalf("revisions %d, %v", len(revs), err)
		}
	})
	t.Run("one batch with repeats", func(t *testing.T) {
		s := open(t)
		res := mustAppend(t, s, "acme", Obs("osv", "X-1", "a"), Obs("osv", "X-1", "a"), Obs("osv", "X-1", "b"))
		if !slices.Equal(statuses(res), []string{"appended osv:X-1:1", "skip-identical osv:X-1:1", "appended osv:X-1:2"}) {
			t.Fatalf("got %v", statuses(res))
		}
	})
	t.Run("given ids", func(t *testing.T) {
		s := open(t)
		mustAppend(t, s, "acme", Obs("osv", "X-1", "a"))
		o := Obs("osv", "X-1", "a")
		o.ID = "osv:X-1:1"
		if res := mustAppend(t, s, "acme", o); res.Skipped != 1 {
			t.Fatalf("same content under its stored id: %+v", res)
		}
		for _, id := range []string{"osv:X-1:1", "osv:X-1:3", "osv:X-2:2", "nvd:X-1:2"} {
			o := Obs("osv", "X-1", "other")
			o.ID = id
			if _, err := s.Append(ctx, "acme", []advisory.Observation{o}); !errors.Is(err, advisory.ErrConflict) {
				t.Errorf("%s with other content: got %v, want ErrConflict", id, err)
			}
		}
		o = Obs("osv", "X-1", "other")
		o.ID = "osv:X-1:2"
		if res := mustAppend(t, s, "acme", o); res.Appended != 1 || res.Outcomes[0].ID != "osv:X-1:2" {
			t.Fatalf("the next revision under its id: %+v", res)
		}
	})
	t.Run("a failed append writes nothing", func(t *testing.T) {
		s := open(t)
		bad := Obs("osv", "X-2", "b")
		bad.ID = "osv:X-2:7"
		if _, err := s.Append(ctx, "acme", []advisory.Observation{Obs("osv", "X-1", "a"), bad}); !errors.Is(err, advisory.ErrConflict) {
			t.Fatalf("got %v", err)
		}
		if latest, err := s.Latest(ctx, "acme"); err != nil || len(latest) != 0 {
			t.Fatalf("latest %d, %v", len(latest), err)
		}
	})
	t.Run("tenants are separate", func(t *testing.T) {
		s := open(t)
		mustAppend(t, s, "acme", Obs("osv", "X-1", "a"))
		if res := mustAppend(t, s, "globex", Obs("osv", "X-1", "a")); res.Appended != 1 {
			t.Fatalf("got %+v", res)
		}
		if _, err := s.Observation(ctx, "initech", "osv:X-1:1"); !errors.Is(err, advisory.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("effective view", func(t *testing.T) {
		s := open(t)
		mustAppend(t, s, "acme", Obs("osv", "GO-2024-0001", "one", "CVE-2024-0001"), Obs("ghsa", "GHSA-aaaa-bbbb-cccc", "two", "CVE-2024-0001"),
			Obs("osv", "GO-2024-0002", "other"))
		r, err := advisory.Rebuild(ctx, s, "acme", advisory.Precedence{}, advisory.Enrichment{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.Changed, []string{"CVE-2024-0001", "GO-2024-0002"}) || r.Snapshot.Observations != 3 {
			t.Fatalf("rebuild: %+v", r)
		}
		for _, id := range []string{"CVE-2024-0001", "GO-2024-0001", "GHSA-aaaa-bbbb-cccc"} {
			e, err := s.Effective(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != "CVE-2024-0001" || e.Digest != r.After[0].Digest ||
				!slices.Equal(e.Aliases, []string{"GHSA-aaaa-bbbb-cccc", "GO-2024-0001"}) {
				t.Fatalf("%s: got %+v", id, e)
			}
			if d, _ := e.ComputeDigest(); d != e.Digest {
				t.Fatalf("stored record does not reproduce its digest")
			}
		}
		byPkg, err := s.EffectiveByPackage(ctx, "acme", "Go", "example.com/GHSA-aaaa-bbbb-cccc")
		if err != nil || len(byPkg) != 1 || byPkg[0].ID != "CVE-2024-0001" {
			t.Fatalf("by package: %+v, %v", byPkg, err)
		}
		all, snap, err := s.EffectiveAll(ctx, "acme")
		if err != nil || len(all) != 2 || snap.ID != r.Snapshot.ID || snap.Observations != 3 {
			t.Fatalf("all: %d %+v %v", len(all), snap, err)
		}
		if _, err := s.Effective(ctx, "acme", "CVE-1999-0001"); !errors.Is(err, advisory.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
		if _, err := s.Effective(ctx, "globex", "CVE-2024-0001"); !errors.Is(err, advisory.ErrNotFound) {
			t.Fatalf("other tenant: got %v", err)
		}

		// Nothing new: nothing changed. Then one document changes.
		r, err = advisory.Rebuild(ctx, s, "acme", advisory.Precedence{}, advisory.Enrichment{})
		if err != nil || len(r.Changed) != 0 {
			t.Fatalf("second rebuild: %+v, %v", r.Changed, err)
		}
		mustAppend(t, s, "acme", Obs("osv", "GO-2024-0002", "other, corrected"))
		r, err = advisory.Rebuild(ctx, s, "acme", advisory.Precedence{}, advisory.Enrichment{})
		if err != nil || !slices.Equal(r.Changed, []string{"GO-2024-0002"}) {
			t.Fatalf("after a change: %+v, %v", r.Changed, err)
		}
		// The view is replaced whole: a group that disappears is gone.
		if err := s.PutEffective(ctx, "acme", r.After[:1], r.Snapshot); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Effective(ctx, "acme", "GO-2024-0002"); !errors.Is(err, advisory.ErrNotFound) {
			t.Fatalf("replaced view still has a removed group: %v", err)
		}
		if got, err := s.EffectiveByPackage(ctx, "acme", "Go", "example.com/GO-2024-0002"); err != nil || len(got) != 0 {
			t.Fatalf("by package after removal: %d, %v", len(got), err)
		}
	})
}
