package vex

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/stella-ops/stella/attest"
)

// ReadAttestation reads OpenVEX carried in a DSSE-enveloped in-toto
// statement. With trusted keys the envelope must verify (fail closed: a bad
// signature is an error); with none it is read as signed but unverified.
// Statements without products speak about the attestation's subjects.
func ReadAttestation(ctx context.Context, raw []byte, trust attest.Trust) (*Document, error) {
	env, err := attest.ParseEnvelope(raw)
	if err != nil {
		return nil, fmt.Errorf("vex: attestation: %w", err)
	}
	sig := Signature{Signed: true}
	var st *attest.Statement
	if len(trust.Verifiers) > 0 {
		var ids []string
		if st, ids, err = attest.Verify(ctx, env, trust); err != nil {
			return nil, fmt.Errorf("vex: attestation: %w", err)
		}
		sig.Verified, sig.KeyID = true, ids[0]
	} else {
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			return nil, fmt.Errorf("vex: attestation: payload is not base64: %w", err)
		}
		if st, err = attest.ParseStatement(payload); err != nil {
			return nil, fmt.Errorf("vex: attestation: %w", err)
		}
		sig.KeyID = env.Signatures[0].KeyID
	}
	if !strings.HasPrefix(st.PredicateType, openVEXNamespace) {
		return nil, fmt.Errorf("vex: attestation: predicate type %q is not OpenVEX (%s)", st.PredicateType, openVEXNamespace)
	}
	doc, err := parseOpenVEX(st.Predicate)
	if err != nil {
		return nil, fmt.Errorf("vex: attestation predicate: %w", err)
	}
	d, err := newDocument(FormatOpenVEX, raw)
	if err != nil {
		return nil, err
	}
	var subjects []string
	for _, s := range st.Subject {
		if h := s.Digest["sha256"]; len(h) == 64 {
			if _, err := hex.DecodeString(h); err == nil {
				subjects = append(subjects, NormalizeRef("sha256:"+h))
			}
		}
	}
	if err := d.addOpenVEX(doc, subjects); err != nil {
		return nil, err
	}
	for i := range d.Statements {
		d.Statements[i].Signature = sig
	}
	return d, d.finish()
}
