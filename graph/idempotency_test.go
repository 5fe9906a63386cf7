package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stella-ops/stella/graph/generated"
	"github.com/stella-ops/stella/internal/canon"
)

func TestFieldErrorsTellAFailedMutationFromAFailedPartOfItsResult(t *testing.T) {
	at := func(p ...any) *gqlerror.Error {
		var path ast.Path
		for _, e := range p {
			switch e := e.(type) {
			case string:
				path = append(path, ast.PathName(e))
			case int:
				path = append(path, ast.PathIndex(e))
			}
		}
		return &gqlerror.Error{Message: "x", Path: path}
	}
	for _, c := range []struct {
		name            string
		errs            gqlerror.List
		failed, partial bool
	}{
		{"none", nil, false, false},
		{"the field", gqlerror.List{at("p")}, true, false},
		{"a nested field", gqlerror.List{at("p", "evidence", 0, "keyId")}, false, true},
		{"both", gqlerror.List{at("p", "release"), at("p")}, true, true},
		{"another field, or none", gqlerror.List{at("q"), at()}, false, false},
	} {
		if failed, partial := fieldErrors(c.errs, "p"); failed != c.failed || partial != c.partial {
			t.Errorf("%s: failed, partial = %v, %v; want %v, %v", c.name, failed, partial, c.failed, c.partial)
		}
	}
}

func TestSelectionDigestIgnoresSpellingNotFields(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	digest := func(query string, vars map[string]any) string {
		t.Helper()
		doc, errs := gqlparser.LoadQuery(schema, query)
		if errs != nil {
			t.Fatal(errs)
		}
		d, err := canon.Digest(selectionValue(doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet, vars))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(`mutation { cancelPromotion(id: "p1") { id status release { name } } }`, nil)
	for _, q := range []struct {
		query string
		vars  map[string]any
	}{
		{"mutation($id: ID!) {\n  cancelPromotion(id: $id, idempotencyKey: \"k\") {\n    id\n    status\n    release { name }\n  }\n}", map[string]any{"id": "p2"}},
		{`mutation { other: cancelPromotion(id: "p1") { id, status, release { name } } }`, nil},
	} {
		if got := digest(q.query, q.vars); got != base {
			t.Errorf("%s: digest %s, want %s as for the same fields", q.query, got, base)
		}
	}
	for _, q := range []string{
		`mutation { cancelPromotion(id: "p1") { id status } }`,
		`mutation { cancelPromotion(id: "p1") { id s: status release { name } } }`,
		`mutation { cancelPromotion(id: "p1") { status id release { name } } }`,
		`mutation { cancelPromotion(id: "p1") { id status release { name digest } } }`,
	} {
		if digest(q, nil) == base {
			t.Errorf("%s digests as %s, whose answer has another shape", q, base)
		}
	}
}
