package exception_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate/exception"
)

var cutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// valid is a suppress exception created at created, lasting 30 days,
// owned by u-dev and approved by u-sec.
func valid(id string, scope exception.Scope, created time.Time) exception.Exception {
	return exception.Exception{ID: id, Tenant: "t1", Scope: scope, Effect: exception.Suppress, Justification: "compensating control",
		Owner: "u-dev", ApprovedBy: "u-sec", CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)}
}

// Every refusal is a *fault.ValidationError naming the fields at fault by
// their JSON path, so an API can point at its own input field.
func TestValidate(t *testing.T) {
	ok := valid("x", exception.Scope{Vulnerability: "CVE-1"}, cutoff)
	if err := exception.Validate(ok, 0); err != nil {
		t.Fatal(err)
	}
	bad := map[string]struct {
		mutate func(e *exception.Exception)
		fields []string
	}{
		"no id":             {func(e *exception.Exception) { e.ID = "" }, []string{"id"}},
		"no vulnerability":  {func(e *exception.Exception) { e.Scope.Vulnerability = "" }, []string{"scope.vulnerability"}},
		"empty environment": {func(e *exception.Exception) { e.Scope.Environments = []string{"prod", " "} }, []string{"scope.environments"}},
		"no expiry":         {func(e *exception.Exception) { e.ExpiresAt = time.Time{} }, []string{"expiresAt"}},
		"expiry first":      {func(e *exception.Exception) { e.ExpiresAt = e.CreatedAt }, []string{"expiresAt"}},
		"181 days":          {func(e *exception.Exception) { e.ExpiresAt = e.CreatedAt.Add(181 * 24 * time.Hour) }, []string{"expiresAt"}},
		"approver is owner": {func(e *exception.Exception) { e.ApprovedBy = e.Owner }, []string{"owner"}},
		"bad downgrade":     {func(e *exception.Exception) { e.Effect, e.DowngradeTo = exception.Downgrade, "urgent" }, []string{"downgradeTo"}},
		"suppress to low":   {func(e *exception.Exception) { e.DowngradeTo = advisory.RatingLow }, []string{"downgradeTo"}},
		"unknown effect":    {func(e *exception.Exception) { e.Effect = "ignore" }, []string{"effect"}},
		"nobody": {func(e *exception.Exception) { e.Owner, e.ApprovedBy, e.Justification = "", "", " " },
			[]string{"justification", "owner", "approvedBy"}},
	}
	for name, c := range bad {
		e := ok
		c.mutate(&e)
		err := exception.Validate(e, 0)
		var verr *fault.ValidationError
		if !errors.As(err, &verr) {
			t.Errorf("%s: %v, want a *fault.ValidationError", name, err)
			continue
		}
		var fields []string
		for _, f := range verr.Fields {
			fields = append(fields, f.Field)
		}
		if !slices.Equal(fields, c.fields) {
			t.Errorf("%s: fields %v (%v), want %v", name, fields, err, c.fields)
		}
	}
	long := ok
	long.ExpiresAt = ok.CreatedAt.Add(181 * 24 * time.Hour)
	if err := exception.Validate(long, 365); err != nil {
		t.Errorf("configurable cap: %v", err)
	}
}
