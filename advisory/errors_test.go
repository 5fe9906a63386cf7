package advisory_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
)

// One error type for every feed: the message names what is known, in the
// same order for all of them, and the kind is fault's validation.
func TestValidationErrorNamesWhereTheDocumentIsWrong(t *testing.T) {
	for _, c := range []struct {
		err  advisory.ValidationError
		want string
	}{
		{advisory.ValidationError{Feed: "osv", File: "a.json", ID: "GHSA-1", Field: "affected[0]", Msg: "bad"}, "osv: a.json: GHSA-1: affected[0]: bad"},
		{advisory.ValidationError{Feed: "kev", Field: "vulnerabilities[3].dateAdded", Msg: "not a date"}, "kev: vulnerabilities[3].dateAdded: not a date"},
		{advisory.ValidationError{Feed: "epss", File: "e.csv", Line: 7, Field: "percentile", Msg: "out of range"}, "epss: e.csv: line 7: percentile: out of range"},
		{advisory.ValidationError{Feed: "nvd", File: "n.json", Msg: "document larger than 1 bytes"}, "nvd: n.json: document larger than 1 bytes"},
	} {
		err := fmt.Errorf("import: %w", &c.err)
		var ve *advisory.ValidationError
		if got := c.err.Error(); got != c.want || !errors.As(err, &ve) || !errors.Is(err, fault.ErrValidation) {
			t.Errorf("%q: As %v, Is(ErrValidation) %v; want %q", got, ve != nil, errors.Is(err, fault.ErrValidation), c.want)
		}
	}
}
