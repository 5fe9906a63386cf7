package graph

import (
	"context"
	"errors"

	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/vex"
)

// addVEXStatement stores a hand-entered statement (vex.md §1) as a manual
// OpenVEX document dated by the resolver's clock. Its issuer is the
// tenant's internal-class issuer when the registry has one, else the
// author "<tenant> internal" (an unknown issuer). It is stored and audited
// as importVEX stores documents; the same statement at the same instant
// is the same document (inserted = false).
func (r *Resolver) addVEXStatement(ctx context.Context, in model.AddVexStatementInput) (*model.ImportVexResult, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := s.Registry(ctx, tenant)
	if err != nil {
		return nil, err
	}
	author := tenant + " internal"
	is, internal := vex.InternalIssuer(reg)
	if internal {
		author = is.Name
		if author == "" {
			author = is.ID
		}
	}
	m := vex.ManualStatement{
		Product: in.Product, Subcomponents: in.Subcomponents, Vulnerability: in.Vulnerability,
		Status: vex.Status(in.Status), Justification: vex.Justification(deref(in.Justification)),
		ImpactStatement: deref(in.ImpactStatement), ActionStatement: deref(in.ActionStatement),
	}
	doc, err := vex.NewManualDocument(author, r.cutoffOr(nil), m)
	var fe *vex.ManualFieldError
	switch {
	case errors.As(err, &fe) && fe.Index >= 0:
		return nil, fieldError("input."+fe.Field, "%s", fe.Message)
	case err != nil:
		return nil, err
	}
	if internal {
		err = doc.AttributeTo(is.ID)
	} else {
		err = reg.Attribute(doc)
	}
	if err != nil {
		return nil, err
	}
	return r.storeVEX(ctx, tenant, doc, "vex.add")
}
