package gate

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stella-ops/stella/gate/exception"
)

// regoValue is the Input document (its JSON form, gate.md §3) as an OPA
// value, built from the typed fields without encoding JSON and parsing it
// again — for a large release most of a policy decision's time went there.
// It must equal what OPA makes of json.Marshal(in); TestRegoValueMatchesJSON
// holds it to that.
func (in *Input) regoValue() ast.Value {
	return termObj(
		item("schema", termStr(in.Schema)),
		item("phase", termStr(string(in.Phase))),
		item("clockCutoff", termTime(in.ClockCutoff)),
		item("release", termObj(
			item("id", termStr(in.Release.ID)),
			item("name", termStr(in.Release.Name)),
			item("digest", termStr(in.Release.Digest)),
			item("components", termList(in.Release.Components, func(c Component) *ast.Term {
				return termObj(item("name", termStr(c.Name)), item("image", termStr(c.Image)), item("role", termStr(c.Role)), item("tag", termStr(c.Tag)))
			})),
		)),
		item("environment", termObj(
			item("id", termStr(in.Environment.ID)),
			item("name", termStr(in.Environment.Name)),
			item("tier", termStr(in.Environment.Tier)),
			item("orderIndex", ast.IntNumberTerm(in.Environment.OrderIndex)),
		)),
		item("targetEnvironment", termStr(in.TargetEnvironment)),
		item("sourceEnvironment", termOptStr(in.SourceEnvironment)),
		item("requester", termObj(item("id", termStr(in.Requester.ID)), item("groups", termStrings(in.Requester.Groups)))),
		item("findings", termList(in.Findings, termFinding)),
		item("sbom", termObj(
			item("digests", termStrings(in.SBOM.Digests)),
			item("componentCount", ast.IntNumberTerm(in.SBOM.ComponentCount)),
			item("byType", termByType(in.SBOM.ByType)),
		)),
		item("approvals", termList(in.Approvals, func(a Approval) *ast.Term {
			items := []*[2]*ast.Term{item("approverId", termStr(a.ApproverID)), item("groups", termStrings(a.Groups)), item("action", termStr(a.Action)),
				item("at", termTime(a.At)), item("releaseDigest", termStr(a.ReleaseDigest))}
			if a.System {
				items = append(items, item("system", ast.BooleanTerm(true)))
			}
			return termObj(items...)
		})),
		item("provenance", termList(in.Provenance, func(p Provenance) *ast.Term {
			return termObj(item("image", termStr(p.Image)), item("signed", ast.BooleanTerm(p.Signed)), item("signer", termStr(p.Signer)), item("builder", termStr(p.Builder)))
		})),
		item("gates", termList(in.Gates, func(g GateSummary) *ast.Term {
			return termObj(item("id", termStr(g.ID)), item("status", termStr(string(g.Status))), item("reasonCodes", termStrings(g.ReasonCodes)))
		})),
	).Value
}

func termFinding(f Finding) *ast.Term {
	kevT, epssT, vexT, excT := ast.NullTerm(), ast.NullTerm(), ast.NullTerm(), ast.NullTerm()
	if k := f.KEV; k != nil {
		kevT = termObj(item("dateAdded", termStr(k.DateAdded)), item("dueDate", termStr(k.DueDate)), item("ransomware", ast.BooleanTerm(k.Ransomware)))
	}
	if e := f.EPSS; e != nil {
		epssT = termObj(item("score", termNum(e.Score)), item("percentile", termNum(e.Percentile)), item("modelVersion", termStr(e.ModelVersion)))
	}
	if v := f.VEX; v != nil {
		vexT = termObj(item("status", termStr(v.Status)), item("justification", termOptStr(v.Justification)), item("confidence", termNum(v.Confidence)),
			item("conflict", ast.BooleanTerm(v.Conflict)), item("consensusDigest", termStr(v.ConsensusDigest)))
	}
	if x := f.Exception; x != nil {
		excT = termException(x)
	}
	cvss := ast.NullTerm()
	if f.CVSS != nil {
		cvss = termNum(*f.CVSS)
	}
	reachable := ast.NullTerm()
	if f.Reachable != nil {
		reachable = ast.BooleanTerm(*f.Reachable)
	}
	return termObj(
		item("id", termStr(f.ID)),
		item("advisoryId", termStr(f.AdvisoryID)),
		item("aliases", termStrings(f.Aliases)),
		item("component", termObj(item("name", termStr(f.Component.Name)), item("purl", termStr(f.Component.Purl)), item("layer", termStr(f.Component.Layer)))),
		item("severity", termStr(string(f.Severity))),
		item("cvss", cvss),
		item("fixState", termStr(f.FixState)),
		item("fixedVersions", termStrings(f.FixedVersions)),
		item("kev", kevT),
		item("epss", epssT),
		item("vex", vexT),
		item("exception", excT),
		item("reachable", reachable),
		item("active", ast.BooleanTerm(f.Active)),
	)
}

func termException(x *exception.Exception) *ast.Term {
	scope := []*[2]*ast.Term{item("vulnerability", termStr(x.Scope.Vulnerability))}
	for _, p := range [][2]string{{"packageKey", x.Scope.PackageKey}, {"component", x.Scope.Component}, {"releaseName", x.Scope.ReleaseName}} {
		if p[1] != "" { // omitempty
			scope = append(scope, item(p[0], termStr(p[1])))
		}
	}
	scope = append(scope, item("environments", termStrings(x.Scope.Environments)))
	items := []*[2]*ast.Term{
		item("id", termStr(x.ID)), item("tenant", termStr(x.Tenant)), item("scope", termObj(scope...)), item("effect", termStr(string(x.Effect))),
	}
	if x.DowngradeTo != "" {
		items = append(items, item("downgradeTo", termStr(string(x.DowngradeTo))))
	}
	return termObj(append(items,
		item("justification", termStr(x.Justification)), item("owner", termStr(x.Owner)), item("approvedBy", termStr(x.ApprovedBy)),
		item("createdAt", termTime(x.CreatedAt)), item("expiresAt", termTime(x.ExpiresAt)))...)
}

func termByType(m map[string]int) *ast.Term {
	if m == nil {
		return ast.NullTerm()
	}
	o := ast.NewObjectWithCapacity(len(m))
	for k, v := range m {
		o.Insert(ast.StringTerm(k), ast.IntNumberTerm(v))
	}
	return ast.NewTerm(o)
}

func item(k string, v *ast.Term) *[2]*ast.Term {
	item := ast.Item(ast.StringTerm(k), v)
	return &item
}

func termObj(items ...*[2]*ast.Term) *ast.Term {
	o := ast.NewObjectWithCapacity(len(items))
	for _, it := range items {
		o.Insert(it[0], it[1])
	}
	return ast.NewTerm(o)
}

// list is a JSON array of xs, or null for a nil slice, as encoding/json
// writes them.
func termList[T any](xs []T, term func(T) *ast.Term) *ast.Term {
	if xs == nil {
		return ast.NullTerm()
	}
	ts := make([]*ast.Term, len(xs))
	for i, x := range xs {
		ts[i] = term(x)
	}
	return ast.ArrayTerm(ts...)
}

func termStrings(xs []string) *ast.Term { return termList(xs, termStr) }

func termStr(s string) *ast.Term { return ast.StringTerm(s) }

func termOptStr(s *string) *ast.Term {
	if s == nil {
		return ast.NullTerm()
	}
	return ast.StringTerm(*s)
}

// timeTerm is a time as encoding/json writes it (RFC 3339 with
// nanoseconds when there are any).
func termTime(t time.Time) *ast.Term { return ast.StringTerm(t.Format(time.RFC3339Nano)) }

// num is a float64 as encoding/json writes it, so numbers compare and print
// the same whichever way the document was built.
func termNum(f float64) *ast.Term {
	fmtByte := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtByte = 'e'
	}
	b := strconv.AppendFloat(nil, f, fmtByte, -1, 64)
	if fmtByte == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return ast.NumberTerm(json.Number(b))
}
