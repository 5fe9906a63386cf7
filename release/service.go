package release

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/tenant"
)

// Sealer encrypts secrets at rest; *seal.Box is the standard one. The associated
// data binds a sealed value to the row that owns it.
type Sealer interface {
	Seal(plaintext, associated []byte) ([]byte, error)
	Open(sealed, associated []byte) ([]byte, error)
}

// Service is the release catalog: environments, targets, integrations, components
// and releases, with the rules of spec/release.md. It is safe for concurrent use.
// Every call takes its tenant and actor from the context (tenant.WithScope), and every
// change is written together with its audit entry, in one transaction.
type Service struct {
	store        Store
	sealer       Sealer
	now          func() time.Time
	newID        func() string
	openRegistry RegistryOpener
	http         *http.Client
	log          *slog.Logger
	events       Publisher
	knownStep    func(string) bool // workflow step types a template may use; nil: any
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source (UTC is applied to what it returns).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDs sets the ID source; the default is UUIDv7.
func WithIDs(newID func() string) Option { return func(s *Service) { s.newID = newID } }

// WithRegistryOpener replaces how registries are reached; the default is OpenOCIRegistry.
func WithRegistryOpener(o RegistryOpener) Option { return func(s *Service) { s.openRegistry = o } }

// WithHTTPClient sets the client for SCM connection tests.
func WithHTTPClient(c *http.Client) Option { return func(s *Service) { s.http = c } }

// WithLogger sets the logger. Secrets never reach it.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// NewService returns a Service over store that seals secrets with sealer.
func NewService(store Store, sealer Sealer, opts ...Option) *Service {
	s := &Service{
		store:        store,
		sealer:       sealer,
		now:          time.Now,
		newID:        func() string { return uuid.Must(uuid.NewV7()).String() },
		openRegistry: OpenOCIRegistry,
		http:         &http.Client{Timeout: 30 * time.Second},
		log:          slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// clock is UTC at microsecond precision, what both databases keep, so that a
// value returned from a write equals the value read back (and hashes the same).
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// change runs fn in a transaction and appends the audit entry for it there too.
// fn returns the object before and after the change (nil when absent) and its id.
func (s *Service) change(ctx context.Context, action, entityType string, fn func(tx Store, sc tenant.Scope) (before, after any, id string, err error)) error {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error {
		before, after, id, err := fn(tx, sc)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, sc, action, entityType, id, before, after)
	})
}

func (s *Service) appendAudit(ctx context.Context, log AuditLog, sc tenant.Scope, action, entityType, id string, before, after any) error {
	e := &AuditEntry{ID: s.newID(), TenantID: sc.Tenant, Actor: sc.Actor, Action: action, EntityType: entityType, EntityID: id, At: s.clock()}
	var err error
	if e.BeforeDigest, err = digestOrEmpty(before); err != nil {
		return err
	}
	if e.AfterDigest, err = digestOrEmpty(after); err != nil {
		return err
	}
	return log.AppendAudit(ctx, e)
}

// AuditLog is where audit entries go. A Store is one, and so is the
// transaction its InTx hands out: appending to the transaction that writes a
// change is what makes the change and its entry land together or not at all.
type AuditLog interface {
	AppendAudit(ctx context.Context, e *AuditEntry) error
}

// RecordAudit appends to log the audit entry of a change made outside the
// Service (an API token, a gate decision, an exception), as the actor of ctx.
// log should be the transaction the change is written in; the Service only
// supplies the entry's id, time and digests, so that every entry is made alike.
func (s *Service) RecordAudit(ctx context.Context, log AuditLog, action, entityType, entityID string, before, after any) error {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	return s.appendAudit(ctx, log, sc, action, entityType, entityID, before, after)
}

// Audit lists the tenant's audit log, newest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter, opts ListOptions) (*Page[AuditEntry], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.ListAudit(ctx, sc.Tenant, f, opts)
}

func digestOrEmpty(v any) (string, error) {
	if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return "", nil
	}
	return canon.Digest(v)
}

// stamp fills the identity fields of a new row.
func (s *Service) stamp(sc tenant.Scope, id, tenant *string, created, updated *time.Time, version *int) {
	now := s.clock()
	*id, *tenant, *created, *updated, *version = s.newID(), sc.Tenant, now, now, 1
}
