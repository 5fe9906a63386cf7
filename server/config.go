package server

import (
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
)

// Config is how the server runs. The zero value serves on 127.0.0.1:8080 with a
// SQLite file stella.db and a key file stella.key in the working folder.
type Config struct {
	Addr string // listen address; default 127.0.0.1:8080
	DB   string // SQLite file path or postgres:// URL; default stella.db
	// KeyFile holds the base64 key that seals secrets at rest; created on first
	// start. Default: stella.key beside a SQLite file, or in the working folder.
	KeyFile string
	// EvidenceKeyFile holds the base64 ed25519 seed that signs evidence
	// packets; created on first start. Default: stella.evidence.key next to
	// KeyFile.
	EvidenceKeyFile string
	// Key, when set, is the base64 key itself (STELLA_SECRET_KEY) and wins over KeyFile.
	Key     string
	Logger  *slog.Logger
	Now     func() time.Time
	Version string // the SDK version recorded in generated SBOMs
	// GatesFile is a gates file (YAML or JSON, decide.ParseConfigFile);
	// empty: builtin.DefaultConfig (security-thresholds, kev, aggregate,
	// vex-trust, freeze-window, approvals, each with its defaults).
	GatesFile string
	// PolicyDirs are Rego policy bundle directories that policy gates name.
	PolicyDirs []string
	// Deployer carries out the deployments of promotions that enter
	// deploying (release.md §4); nil: each runs its release's workflow
	// template on the server's workflow engine (runner.Deployer).
	Deployer release.Deployer
	// Jobs carries out the deploy and rollback steps of workflows; nil: a
	// release.InProcessJobs, which records each job and reports it done.
	Jobs step.Deployer
	// WorkflowOptions tune the workflow engine (runner.New).
	WorkflowOptions []runner.Option
	// WebsocketOrigins are the other origins (host patterns) whose pages may
	// open subscriptions; by default only the server's own, or no Origin.
	WebsocketOrigins []string
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DB == "" {
		c.DB = "stella.db"
	}
	if c.KeyFile == "" {
		c.KeyFile = "stella.key"
		if !isPostgres(c.DB) && c.DB != ":memory:" {
			c.KeyFile = filepath.Join(filepath.Dir(strings.TrimPrefix(c.DB, "file:")), "stella.key")
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Jobs == nil {
		c.Jobs = &release.InProcessJobs{}
	}
	return c
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
