// Package feeds ties Stella's advisory readers together: it reads any supported
// feed into observations ready for the store (aggregate documents split one
// observation per advisory), and derives the KEV and EPSS enrichment from the
// stored observations.
//
//	obs, err := feeds.Read("osv", "./vulndb/data/osv")
//	enr, err := feeds.Enrichment(latest)
package feeds

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/alpine"
	"github.com/stella-ops/stella/advisory/csaf"
	"github.com/stella-ops/stella/advisory/debian"
	"github.com/stella-ops/stella/advisory/epss"
	"github.com/stella-ops/stella/advisory/kev"
	"github.com/stella-ops/stella/advisory/nvd"
	"github.com/stella-ops/stella/advisory/osv"
)

// Sources lists the feed formats Read understands.
func Sources() []string {
	return []string{"osv", "nvd", "csaf", "debian", "alpine", "kev", "epss"}
}

// Read reads a feed file (or, for OSV, a directory or zip) in the given format.
// Alpine secdb and multi-CVE CSAF documents are split so that each observation
// describes one advisory, as Merge expects.
func Read(source, path string) ([]advisory.Observation, error) {
	var (
		obs   []advisory.Observation
		err   error
		split func(advisory.Observation) ([]advisory.Observation, error)
	)
	switch source {
	case "osv":
		obs, err = osv.ReadPath(path)
	case "nvd":
		obs, err = nvd.ReadFile(path)
	case "debian":
		obs, err = debian.ReadFile(path)
	case "alpine":
		obs, err = alpine.ReadFile(path)
		split = alpine.Split
	case "csaf":
		obs, err = csaf.ReadFile(path)
		split = csaf.Split
	case "kev":
		obs, err = kev.ReadFile(path)
	case "epss":
		obs, err = epss.ReadFile(path)
	default:
		return nil, fmt.Errorf("feeds: source %q is not one of %s", source, strings.Join(Sources(), ", "))
	}
	if err != nil || split == nil {
		return obs, err
	}
	var out []advisory.Observation
	for _, o := range obs {
		parts, err := split(o)
		if err != nil {
			return nil, err
		}
		out = append(out, parts...)
	}
	return out, nil
}

// Enrichment builds KEV flags and EPSS scores from the latest stored KEV and
// EPSS observations. With several catalogs or score files, the one with the
// greatest upstream id (catalog revision, score date) wins, so the result does
// not depend on the order of latest.
func Enrichment(latest []advisory.Observation) (advisory.Enrichment, error) {
	enr := advisory.Enrichment{KEV: map[string]advisory.KEV{}, EPSS: map[string]advisory.EPSS{}}
	var kevs, epsss []advisory.Observation
	for _, o := range latest {
		switch o.Source.ID {
		case kev.SourceID:
			kevs = append(kevs, o)
		case epss.SourceID:
			epsss = append(epsss, o)
		}
	}
	for _, o := range newestLast(kevs) {
		c, err := kev.FromObservation(o)
		if err != nil {
			return enr, err
		}
		for k, v := range c.Map() {
			enr.KEV[k] = v
		}
	}
	for _, o := range newestLast(epsss) {
		f, err := epss.FromObservation(o)
		if err != nil {
			return enr, err
		}
		for k, v := range f.Map() {
			enr.EPSS[k] = v
		}
	}
	return enr, nil
}

func newestLast(obs []advisory.Observation) []advisory.Observation {
	sort.Slice(obs, func(i, j int) bool { return obs[i].Upstream.ID < obs[j].Upstream.ID })
	return obs
}
