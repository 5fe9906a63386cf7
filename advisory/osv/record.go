package osv

import (
	"encoding/json"

	"github.com/stella-ops/stella/advisory"
)

// record is the wire form of one OSV document. Fields are pointers or raw
// where the validator must tell "absent" from "empty".
type record struct {
	SchemaVersion string               `json:"schema_version"`
	ID            string               `json:"id"`
	Modified      *string              `json:"modified"`
	Published     string               `json:"published"`
	Withdrawn     string               `json:"withdrawn"`
	Aliases       []string             `json:"aliases"`
	Related       []string             `json:"related"`
	Summary       string               `json:"summary"`
	Details       string               `json:"details"`
	Severity      []advisory.Severity  `json:"severity"`
	Affected      []affected           `json:"affected"`
	References    []advisory.Reference `json:"references"`
}

type affected struct {
	Package  *advisory.Package   `json:"package"`
	Severity []advisory.Severity `json:"severity"`
	Ranges   []rangeJSON         `json:"ranges"`
	Versions []string            `json:"versions"`
}

type rangeJSON struct {
	Type   string            `json:"type"`
	Repo   string            `json:"repo"`
	Events []json.RawMessage `json:"events"`
}
