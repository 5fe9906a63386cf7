package graph

import (
	"context"

	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
)

func (r *Resolver) targets(ctx context.Context, f release.TargetFilter, first *int, after *string) (*model.TargetConnection, error) {
	opts, err := listOptions(first, after)
	if err != nil {
		return nil, err
	}
	p, err := r.Catalog.Targets(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	return &model.TargetConnection{
		Edges:    edges(p, func(c string, n *release.Target) model.TargetEdge { return model.TargetEdge{Cursor: c, Node: n} }),
		Nodes:    p.Items,
		PageInfo: pageInfo(p),
	}, nil
}
