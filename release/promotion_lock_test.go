package release_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/stella-ops/stella/release"
)

func queued(id, envID, app string, s release.PromotionStatus, minute int) release.Promotion {
	return release.Promotion{ID: id, TenantID: "acme", TargetEnvironmentID: envID, Application: app, Status: s,
		RequestedAt: t0.Add(time.Duration(minute) * time.Minute)}
}

func ids(ps []release.Promotion) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// One promotion per (environment, application) deploys at a time; the
// others start in the order they were requested. Applications and
// environments do not wait for each other.
func TestNextToDeploy(t *testing.T) {
	for _, c := range []struct {
		name string
		ps   []release.Promotion
		want []string
	}{
		{"nothing waiting", nil, []string{}},
		{"earliest request first", []release.Promotion{
			queued("b", "prod", "api", approved, 2), queued("a", "prod", "api", approved, 3)}, []string{"b"}},
		{"ties broken by id", []release.Promotion{
			queued("q2", "prod", "api", approved, 1), queued("q1", "prod", "api", approved, 1)}, []string{"q1"}},
		{"none while one deploys", []release.Promotion{
			queued("a", "prod", "api", approved, 1), queued("d", "prod", "api", deploying, 5)}, []string{}},
		{"other applications are independent", []release.Promotion{
			queued("d", "prod", "api", deploying, 1), queued("a", "prod", "api", approved, 2), queued("w", "prod", "web", approved, 3)}, []string{"w"}},
		{"other environments are independent", []release.Promotion{
			queued("d", "prod", "api", deploying, 1), queued("s", "stage", "api", approved, 9)}, []string{"s"}},
		{"other statuses do not take or hold the lock", []release.Promotion{
			queued("x", "prod", "api", deployed, 0), queued("y", "prod", "api", failed, 0), queued("z", "prod", "api", pendingApproval, 0),
			queued("a", "prod", "api", approved, 4)}, []string{"a"}},
		{"one per lane, ordered by environment then application", []release.Promotion{
			queued("s-web", "stage", "web", approved, 1), queued("p-web", "prod", "web", approved, 1),
			queued("p-api", "prod", "api", approved, 2), queued("p-api-2", "prod", "api", approved, 3)}, []string{"p-api", "p-web", "s-web"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ids(release.NextToDeploy(c.ps)); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// Every replica must pick the same promotion whatever order the store
// returned the rows in.
func TestNextToDeployIgnoresInputOrder(t *testing.T) {
	var ps []release.Promotion
	for i, id := range []string{"e", "c", "a", "d", "b"} {
		ps = append(ps, queued(id, "prod", "api", approved, i%2), queued("w"+id, "prod", "web", approved, 1))
	}
	want := ids(release.NextToDeploy(ps))
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		if got := ids(release.NextToDeploy(ps)); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if !reflect.DeepEqual(want, []string{"a", "wa"}) {
		t.Fatalf("want = %v", want)
	}
}
