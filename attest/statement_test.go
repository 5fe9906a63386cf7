package attest

import (
	"strings"
	"testing"
)

func TestParseStatementReadsV01AndRefusesOthers(t *testing.T) {
	v01 := `{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"x","digest":{"sha256":"` + strings.Repeat("a", 64) + `"}}],"predicateType":"https://openvex.dev/ns/v0.2.0","predicate":{}}`
	if st, err := ParseStatement([]byte(v01)); err != nil || st.PredicateType != "https://openvex.dev/ns/v0.2.0" {
		t.Errorf("v0.1 statement: %v", err)
	}
	if _, err := ParseStatement([]byte(`{"_type":"https://example.com/Statement/v9"}`)); err == nil {
		t.Error("a foreign statement type was accepted")
	}
}
