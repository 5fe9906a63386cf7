package attest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/internal/canon"
)

// StatementType is the in-toto Statement v1 type.
const StatementType = "https://in-toto.io/Statement/v1"

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// Subject is what a statement is about, by digest ({"sha256": "<hex>"}).
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// SubjectFromDigest makes a subject from a "sha256:<hex>" digest.
func SubjectFromDigest(name, digest string) (Subject, error) {
	alg, hexPart, ok := strings.Cut(digest, ":")
	if !ok || alg != "sha256" || len(hexPart) != 64 {
		return Subject{}, fmt.Errorf("attest: subject %q: digest %q is not sha256:<64 hex>", name, digest)
	}
	return Subject{Name: name, Digest: map[string]string{"sha256": hexPart}}, nil
}

// Statement is an in-toto v1 statement.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// NewStatement makes a statement with subjects sorted by name then digest.
// The predicate is any JSON value, or raw JSON bytes.
func NewStatement(predicateType string, predicate any, subjects ...Subject) (*Statement, error) {
	var raw []byte
	switch p := predicate.(type) {
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	default:
		var err error
		if raw, err = json.Marshal(p); err != nil {
			return nil, fmt.Errorf("attest: predicate: %w", err)
		}
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("attest: predicate of type %s is not valid JSON", predicateType)
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("attest: a statement needs at least one subject")
	}
	s := &Statement{Type: StatementType, Subject: slices.Clone(subjects), PredicateType: predicateType, Predicate: raw}
	slices.SortFunc(s.Subject, func(a, b Subject) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Digest["sha256"], b.Digest["sha256"]))
	})
	return s, nil
}

// Canonical returns the statement's RFC 8785 bytes: the DSSE payload.
func (s *Statement) Canonical() ([]byte, error) { return canon.Marshal(s) }

// statementTypeV01 is the in-toto Statement v0.1 that older signers (such as
// cosign attest before in-toto v1) still produce; its fields read the same.
const statementTypeV01 = "https://in-toto.io/Statement/v0.1"

// ParseStatement decodes a statement and checks its type: in-toto v1, or
// v0.1 for reading what older signers wrote. Stella writes only v1.
func ParseStatement(payload []byte) (*Statement, error) {
	var s Statement
	if err := json.Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("attest: statement: %w", err)
	}
	if s.Type != StatementType && s.Type != statementTypeV01 {
		return nil, fmt.Errorf("attest: statement type %q is not %s (or v0.1)", s.Type, StatementType)
	}
	return &s, nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
