package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"

	"github.com/stella-ops/stella/release/workflow/step"
)

// InProcessJobs carries out the deploy and rollback steps of workflow runs
// by recording each request and reporting it done. Like InProcessDeployer it
// stands in for deployment agents until a server has them. A repeated
// idempotency key returns the job it made the first time. It is safe for
// concurrent use.
type InProcessJobs struct {
	mu   sync.Mutex
	jobs []InProcessJob
}

// InProcessJob is one job InProcessJobs was asked for.
type InProcessJob struct {
	ID string
	step.DeployRequest
}

// Deploy implements step.Deployer.
func (j *InProcessJobs) Deploy(_ context.Context, req step.DeployRequest) (string, error) {
	sum := sha256.Sum256([]byte(req.Tenant + "\x00" + req.IdempotencyKey))
	id := "job-" + hex.EncodeToString(sum[:12])
	j.mu.Lock()
	defer j.mu.Unlock()
	if !slices.ContainsFunc(j.jobs, func(x InProcessJob) bool { return x.ID == id }) {
		j.jobs = append(j.jobs, InProcessJob{ID: id, DeployRequest: req})
	}
	return id, nil
}

// Jobs returns the jobs made so far, in order.
func (j *InProcessJobs) Jobs() []InProcessJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.jobs)
}
