package decide

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/internal/yamljson"
)

// ConfigFile is a gates file: the gates and, for decisions made without
// an environment store, the environments they are evaluated in.
//
//	environments:
//	  - {name: prod, tier: production, requiredApprovals: 0}
//	gates:
//	  - {id: security-thresholds, type: security-thresholds}
//	  - {id: kev, type: kev, environments: {development: {allowGracePeriod: true}}}
//
// A file with only gates (or none at all) is valid: without environments
// any environment name is evaluated as production.
type ConfigFile struct {
	Environments []EnvironmentConfig
	Gates        gate.Config
}

// EnvironmentConfig is an environment of a gates file, or one read from
// a store and kept with a decision's sources.
type EnvironmentConfig struct {
	ID                        string              `json:"id,omitempty"` // default: the name
	Name                      string              `json:"name"`
	Tier                      string              `json:"tier"`
	OrderIndex                int                 `json:"orderIndex"`
	RequiredApprovals         int                 `json:"requiredApprovals"`
	ApproverGroups            []string            `json:"approverGroups"`
	ApproverUsers             []string            `json:"approverUsers"`
	RequireSeparationOfDuties bool                `json:"requireSeparationOfDuties"`
	FreezeWindows             []gate.FreezeWindow `json:"freezeWindows"`
}

// ParseConfigFile reads a gates file (YAML or JSON) and validates its
// gates against the built-in types. nil is the default:
// [builtin.DefaultConfig] and no environments.
func ParseConfigFile(raw []byte) (ConfigFile, error) {
	if raw == nil {
		return ConfigFile{Gates: builtin.DefaultConfig()}, nil
	}
	var doc struct {
		Environments []EnvironmentConfig `json:"environments"`
		Gates        json.RawMessage     `json:"gates"`
	}
	if err := yamljson.Unmarshal(raw, &doc); err != nil {
		return ConfigFile{}, err
	}
	for _, e := range doc.Environments {
		if strings.TrimSpace(e.Name) == "" {
			return ConfigFile{}, fmt.Errorf("environment with tier %q has no name", e.Tier)
		}
		// With groups, membership is not known here; with users only,
		// N of M must be satisfiable (gate.md §4.1).
		if len(e.ApproverGroups) == 0 {
			if err := builtin.ValidateApprovers(e.RequiredApprovals, e.ApproverUsers); err != nil {
				return ConfigFile{}, fmt.Errorf("environment %q: %w", e.Name, err)
			}
		}
	}
	cfg, err := gate.ParseConfig(fmt.Appendf(nil, `{"gates":%s}`, cmp.Or(string(doc.Gates), "[]")))
	if err != nil {
		return ConfigFile{}, err
	}
	if err := cfg.Validate(builtin.Types()); err != nil {
		return ConfigFile{}, err
	}
	return ConfigFile{Environments: doc.Environments, Gates: cfg}, nil
}

// ReadConfigFile reads and parses a gates file.
func ReadConfigFile(path string) (ConfigFile, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ConfigFile{}, nil, err
	}
	f, err := ParseConfigFile(raw)
	if err != nil {
		return ConfigFile{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, raw, nil
}

// Environment finds name among the file's environments. A file without
// environments evaluates name as a production environment: the strictest
// defaults apply unless the file says otherwise.
func (f ConfigFile) Environment(name string) (gate.Environment, error) {
	if len(f.Environments) == 0 {
		return gate.Environment{ID: name, Name: name, Tier: "production"}, nil
	}
	names := make([]string, 0, len(f.Environments))
	for _, e := range f.Environments {
		if e.Name == name {
			return e.Gate(), nil
		}
		names = append(names, e.Name)
	}
	return gate.Environment{}, fmt.Errorf("environment %q is not in the configuration (it has %s)", name, strings.Join(names, ", "))
}

// Gate is the environment as gates see it.
func (e EnvironmentConfig) Gate() gate.Environment {
	return gate.Environment{
		ID: cmp.Or(e.ID, e.Name), Name: e.Name, Tier: e.Tier, OrderIndex: e.OrderIndex,
		RequiredApprovals: e.RequiredApprovals, ApproverGroups: e.ApproverGroups, ApproverUsers: e.ApproverUsers,
		RequireSeparationOfDuties: e.RequireSeparationOfDuties, FreezeWindows: e.FreezeWindows,
	}
}

// EnvironmentOf is the gates-file form of env, which [EnvironmentConfig.Gate]
// gives back.
func EnvironmentOf(env gate.Environment) EnvironmentConfig {
	return EnvironmentConfig{ID: env.ID, Name: env.Name, Tier: env.Tier, OrderIndex: env.OrderIndex,
		RequiredApprovals: env.RequiredApprovals, ApproverGroups: env.ApproverGroups, ApproverUsers: env.ApproverUsers,
		RequireSeparationOfDuties: env.RequireSeparationOfDuties, FreezeWindows: env.FreezeWindows}
}

// ExceptionLog is an exceptions file: owned, approved, expiring waivers
// and their revocations.
type ExceptionLog struct {
	Exceptions  []exception.Exception  `json:"exceptions"`
	Revocations []exception.Revocation `json:"revocations"`
}

// ParseExceptionLog reads an exceptions file (YAML or JSON) and checks
// every exception against gate.md §5. nil is the empty log.
func ParseExceptionLog(raw []byte) (ExceptionLog, error) {
	var l ExceptionLog
	if raw == nil {
		return l, nil
	}
	if err := yamljson.Unmarshal(raw, &l); err != nil {
		return l, err
	}
	for _, e := range l.Exceptions {
		if err := exception.Validate(e, 0); err != nil {
			return l, err
		}
	}
	return l, nil
}
