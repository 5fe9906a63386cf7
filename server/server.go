package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/graph"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/seal"
	"github.com/stella-ops/stella/server/graphiql"
	"github.com/stella-ops/stella/store"
	"github.com/stella-ops/stella/tenant"
)

// DefaultTenant is the tenant of the bootstrap admin token.
const DefaultTenant = "default"

// Server is a running Stella reference server.
type Server struct {
	cfg     Config
	db      *store.DB
	catalog *release.Service
	handler http.Handler
	log     *slog.Logger
	scanner *scanner
	gates   *graph.GateService
	promos  *release.Promotions
	flows   *runner.Runner // nil on a :memory: database
	feeds   *graph.Feeds
	signer  attest.Signer // the evidence key: packets and audit packs
}

// New opens the store (running migrations), loads or creates the server key, and
// builds the HTTP handler.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	box, err := loadKey(cfg)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, log: cfg.Logger, feeds: graph.NewFeeds(cfg.Logger)}
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	s.catalog = release.NewService(db, box,
		release.WithClock(cfg.Now), release.WithIDs(newID), release.WithLogger(cfg.Logger),
		release.WithStepTypes(builtinStepType),
		release.WithPublisher(release.PublisherFunc(func(ctx context.Context, e release.Event) {
			cfg.Logger.InfoContext(ctx, "event", "type", e.Type, "tenant", e.TenantID, "entity", e.EntityID)
			s.feeds.Publish(ctx, e)
		})))
	if s.scanner, err = newScanner(cfg.Version, cfg.Now); err != nil {
		db.Close()
		return nil, err
	}
	if s.gates, err = loadGates(ctx, cfg, db); err != nil {
		db.Close()
		return nil, err
	}
	signer, err := loadOrCreateEvidenceKey(evidenceKeyFile(cfg))
	if err != nil {
		db.Close()
		return nil, err
	}
	s.signer = signer
	res := &graph.Resolver{Catalog: s.catalog, Tokens: s.db, SBOMs: s.db, Advisories: s.db, VEX: s.db, Gates: s.gates, Exceptions: s.db, InTx: graph.Transactions(s.db.Transact), Scanner: s.scanner, Now: s.cfg.Now, NewID: newID,
		Deployed: s.db, Feeds: s.feeds}
	// A single-connection :memory: database would wait for itself in a
	// pre-deploy decision (see graph.PromotionDecider): no promotions there,
	// rather than a hang.
	if cfg.DB == ":memory:" {
		cfg.Logger.Warn("promotions are off on a :memory: database; use a file or PostgreSQL")
	} else if s.flows, err = s.startWorkflows(ctx, res); err != nil {
		db.Close()
		return nil, err
	} else if s.promos, err = release.NewPromotions(db, release.PromotionTransactions(db.Transact), graph.PromotionDecider{R: res}, s.deployer(),
		release.PromotionsClock(cfg.Now), release.PromotionsIDs(newID), release.PromotionsSigner(signer),
		release.PromotionsGenerator("stella/"+cfg.Version), release.PromotionsTransitions(s.feeds.Promotion),
		release.PromotionsLogger(cfg.Logger),
		release.PromotionsEvents(func(e release.Event) {
			cfg.Logger.Info("event", "type", e.Type, "tenant", e.TenantID, "entity", e.EntityID)
		})); err != nil {
		db.Close()
		return nil, err
	}
	res.Promotions = s.promos
	res.Idempotency = s.db
	if res.Evidence, err = evidenceService(signer, db); err != nil {
		db.Close()
		return nil, err
	}
	s.handler = s.routes(res)
	return s, nil
}

// builtinStepType says whether a saved workflow template may name a step
// type: the ten built-ins of release.md §3, read from the step registry
// (which needs no dependencies to list its types). The registry the
// workflow engine runs with takes this one's place when the engine is
// wired into the server; its registry has the same built-ins.
var builtinStepType = step.Builtins(step.Deps{}).Known

// loadGates prepares the gates and policy bundles the server evaluates
// releases with; decision records and their inputs go to db. The gates
// file is the one stella gate eval --config reads; the server takes the
// environments from its store, not from the file.
func loadGates(ctx context.Context, cfg Config, db *store.DB) (*graph.GateService, error) {
	opts := []decide.Option{}
	if cfg.GatesFile != "" {
		f, _, err := decide.ReadConfigFile(cfg.GatesFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, decide.WithConfig(f.Gates))
	}
	for _, dir := range cfg.PolicyDirs {
		b, err := policy.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("policy bundle %s: %w", dir, err)
		}
		opts = append(opts, decide.WithPolicies(b))
	}
	d, err := decide.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &graph.GateService{Decider: d, Store: db}, nil
}

func loadKey(cfg Config) (*seal.Box, error) {
	if cfg.Key != "" {
		return seal.ParseKey(cfg.Key)
	}
	return seal.LoadOrCreateKey(cfg.KeyFile)
}

func (s *Server) routes(res *graph.Resolver) http.Handler {
	m := newMetrics()
	gql := graph.NewHandler(res, s.log, graph.WebsocketOrigins(s.cfg.WebsocketOrigins...))
	gql.AroundOperations(m.aroundOperations)

	mux := http.NewServeMux()
	mux.Handle("/graphql", m.instrument("/graphql", authenticate(s.db, s.log, gql)))
	mux.Handle("/graphiql/", m.instrument("/graphiql", http.StripPrefix("/graphiql", graphiql.Handler("/graphql", graphiql.WithTitle("Stella GraphiQL")))))
	mux.Handle("GET /v1/promotions/{id}/evidence-pack", m.instrument("/v1/promotions/{id}/evidence-pack", authenticate(s.db, s.log, http.HandlerFunc(s.evidencePack))))
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	}))
	mux.Handle("GET /readyz", http.HandlerFunc(s.ready))
	mux.Handle("GET /metrics", m.handler())
	mux.Handle("GET /{$}", http.RedirectHandler("/graphiql/", http.StatusFound))
	return logRequests(s.log, mux)
}

// ready answers 200 only while the database answers.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// Handler is the server's HTTP handler, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Catalog is the release service the server uses.
func (s *Server) Catalog() *release.Service { return s.catalog }

// Promotions is the promotion service the server uses.
func (s *Server) Promotions() *release.Promotions { return s.promos }

// Workflows is the workflow engine; nil on a :memory: database.
func (s *Server) Workflows() *runner.Runner { return s.flows }

// Subscriptions is the number of open GraphQL subscriptions.
func (s *Server) Subscriptions() int { return s.feeds.Subscribers() }

// Store is the server's database.
func (s *Server) Store() *store.DB { return s.db }

// Bootstrap creates an admin token for DefaultTenant when no token exists yet,
// and returns its secret. It returns "" when tokens already exist.
func (s *Server) Bootstrap(ctx context.Context) (string, error) {
	n, err := s.db.CountTokens(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	_, secret, err := s.CreateToken(ctx, DefaultTenant, "bootstrap-admin", auth.RoleAdmin, "system:bootstrap")
	return secret, err
}

// CreateToken creates a token in any tenant (an operator action, outside the API)
// and audits it.
func (s *Server) CreateToken(ctx context.Context, tenantID, name string, role auth.Role, by string) (*auth.Token, string, error) {
	tok, secret, err := auth.NewToken(tenantID, name, role, by, s.cfg.Now(), uuid.Must(uuid.NewV7()).String())
	if err != nil {
		return nil, "", err
	}
	actx := tenant.WithScope(ctx, tenant.Scope{Tenant: tenantID, Actor: by})
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.CreateToken(ctx, tok); err != nil {
			return err
		}
		return s.catalog.RecordAudit(actx, tx, "token.create", "api_token", tok.ID, nil, tok)
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// ListenAndServe serves until ctx ends, then shuts down gracefully.
func (s *Server) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(s.feeds.Close) // Shutdown does not wait for websockets: end their subscriptions
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go s.optimizePeriodically(ctx, time.Hour)
	s.resumePromotions(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// optimizePeriodically keeps the SQLite planner's statistics fresh as data grows.
func (s *Server) optimizePeriodically(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.db.Optimize(ctx); err != nil {
				s.log.WarnContext(ctx, "optimize database statistics", "error", err)
			}
		}
	}
}

// Close stops the workflow engine (running steps get 10 s to finish before
// they are cancelled and left to be run again), ends the subscriptions and
// closes the database.
func (s *Server) Close() error {
	var err error
	if s.flows != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = s.flows.Stop(ctx)
	}
	s.feeds.Close()
	return errors.Join(err, s.db.Close())
}
