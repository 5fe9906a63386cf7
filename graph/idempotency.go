package graph

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/idempotency"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/tenant"
)

// idempotencyArg is the argument a mutation declares to take an
// idempotency key (release.md §7.3). Declaring it is all a mutation does:
// the handler's idempotent interceptor does the work, before and after the
// resolver, which ignores the argument.
const idempotencyArg = "idempotencyKey"

// purgeEvery is how often a server deletes expired keys, on the way of a
// reservation: often enough that the table holds about a day of keys, and
// rarely enough to cost nothing.
const purgeEvery = time.Hour

// idempotent runs a mutation field that carries an idempotency key at most
// once per live key: it reserves the key, runs the field, and keeps the
// field's JSON result; a repeat gets that result without running the field
// again. A mutation that fails (its resolver returns an error) releases the
// key so it can be retried.
type idempotent struct {
	r         *Resolver
	log       *slog.Logger
	lastPurge atomic.Int64 // unix nanoseconds
}

// checkOperation refuses a mutation operation in which more than one root
// field carries a key: one response cannot be half a replay and half a new
// run, so each keyed mutation is its own request.
func (m *idempotent) checkOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	keyed := 0
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
		if _, ok := f.ArgumentMap(oc.Variables)[idempotencyArg].(string); ok {
			keyed++
		}
	}
	if keyed > 1 {
		err := fault.Invalid(idempotencyArg, "%d mutations in one operation carry idempotency keys; send each keyed mutation as its own request", keyed)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{presentError(ctx, m.log, err)}})
	}
	return next(ctx)
}

// aroundRootField is the interceptor of every root field; it acts on the
// mutation fields whose idempotencyKey is set.
func (m *idempotent) aroundRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc := graphql.GetOperationContext(ctx)
	rf := graphql.GetRootFieldContext(ctx)
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation || rf == nil {
		return next(ctx)
	}
	args := rf.Field.ArgumentMap(oc.Variables)
	key, ok := args[idempotencyArg].(string)
	if !ok {
		return next(ctx)
	}
	path := ast.Path{ast.PathName(rf.Field.Alias)}
	fail := func(err error) graphql.Marshaler {
		graphql.AddError(ctx, &gqlerror.Error{Err: err, Message: err.Error(), Path: path})
		return graphql.Null
	}
	req, err := idempotencyRequest(ctx, rf.Field, args, key, oc.Variables)
	if err != nil {
		return fail(err)
	}
	store := m.r.Idempotency
	if store == nil {
		return fail(fault.Invalid(idempotencyArg, "this server keeps no idempotency keys; send the mutation without one"))
	}
	now := m.now()
	token := uuid.NewString()
	prior, err := store.ReserveIdempotencyKey(ctx, req, token, now, now.Add(-idempotency.TTL))
	if err != nil {
		return fail(err)
	}
	if prior != nil {
		res, err := prior.Replay(req)
		if err != nil {
			return fail(err)
		}
		return rawJSON(res)
	}
	m.purge(ctx, now)

	before := len(graphql.GetErrors(ctx))
	var out bytes.Buffer
	next(ctx).MarshalGQL(&out)
	failed, partial := fieldErrors(graphql.GetErrors(ctx)[before:], rf.Field.Alias)

	// The mutation has happened (or not) whatever the client does now: the
	// key's outcome is written even if the request is cancelled.
	wctx := context.WithoutCancel(ctx)
	switch {
	case failed:
		err = store.ReleaseIdempotencyKey(wctx, req.Key, token)
	case partial:
		err = store.CompleteIdempotencyKey(wctx, req.Key, token, nil)
	default:
		err = store.CompleteIdempotencyKey(wctx, req.Key, token, out.Bytes())
	}
	if err != nil {
		// The client still gets this run's result; a repeat may then find
		// the key pending (until it expires) or free.
		m.log.ErrorContext(ctx, "idempotency key outcome not kept", "mutation", req.Mutation, "error", err)
	}
	return rawJSON(out.Bytes())
}

// idempotencyRequest names the key and digests what the field asks: its
// arguments but the key (variables resolved, an explicit null the same as
// an omitted argument) and its selection set.
func idempotencyRequest(ctx context.Context, f graphql.CollectedField, args map[string]any, key string, vars map[string]any) (idempotency.Request, error) {
	if err := idempotency.ValidKey(key); err != nil {
		return idempotency.Request{}, err
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return idempotency.Request{}, err
	}
	rest := make(map[string]any, len(args))
	for k, v := range args {
		if k != idempotencyArg && v != nil {
			rest[k] = v
		}
	}
	argDigest, err := canon.Digest(rest)
	if err != nil {
		return idempotency.Request{}, err
	}
	selDigest, err := canon.Digest(selectionValue(f.Selections, vars))
	if err != nil {
		return idempotency.Request{}, err
	}
	return idempotency.Request{
		Key:       idempotency.Key{Tenant: sc.Tenant, Actor: sc.Actor, Mutation: f.Name, Key: key},
		Arguments: argDigest, Selection: selDigest,
	}, nil
}

// selectionValue is a selection set as plain data, for a digest: fields
// with their aliases and arguments, fragments inlined, variables resolved.
// Two requests that print the same fields digest the same whatever their
// spacing.
func selectionValue(set ast.SelectionSet, vars map[string]any) []any {
	out := make([]any, 0, len(set))
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, map[string]any{"field": s.Name, "alias": s.Alias, "args": s.ArgumentMap(vars),
				"directives": directivesValue(s.Directives, vars), "selection": selectionValue(s.SelectionSet, vars)})
		case *ast.InlineFragment:
			out = append(out, map[string]any{"on": s.TypeCondition,
				"directives": directivesValue(s.Directives, vars), "selection": selectionValue(s.SelectionSet, vars)})
		case *ast.FragmentSpread:
			v := map[string]any{"directives": directivesValue(s.Directives, vars)}
			if s.Definition != nil {
				v["on"], v["selection"] = s.Definition.TypeCondition, selectionValue(s.Definition.SelectionSet, vars)
			}
			out = append(out, v)
		}
	}
	return out
}

func directivesValue(ds ast.DirectiveList, vars map[string]any) []any {
	out := make([]any, len(ds))
	for i, d := range ds {
		out[i] = map[string]any{"name": d.Name, "args": d.ArgumentMap(vars)}
	}
	return out
}

// fieldErrors sorts the errors a root field added: failed when the field
// itself failed (its resolver, its arguments or its directives; the
// mutation did not happen), partial when only fields of its result did.
func fieldErrors(errs gqlerror.List, alias string) (failed, partial bool) {
	for _, e := range errs {
		if len(e.Path) == 0 || e.Path[0] != ast.PathName(alias) {
			continue
		}
		if len(e.Path) == 1 {
			failed = true
		} else {
			partial = true
		}
	}
	return failed, partial
}

// purge deletes expired keys at most once per purgeEvery per server; a
// failure only delays it.
func (m *idempotent) purge(ctx context.Context, now time.Time) {
	last := m.lastPurge.Load()
	if now.UnixNano()-last < int64(purgeEvery) || !m.lastPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := m.r.Idempotency.PurgeIdempotencyKeys(context.WithoutCancel(ctx), now.Add(-idempotency.TTL)); err != nil {
		m.log.WarnContext(ctx, "purge expired idempotency keys", "error", err)
	}
}

func (m *idempotent) now() time.Time {
	if m.r.Now != nil {
		return m.r.Now()
	}
	return time.Now()
}

// rawJSON is a field's JSON result, written as it is.
type rawJSON []byte

func (r rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }
