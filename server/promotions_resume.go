package server

import (
	"context"
)

// resumePromotions keeps promotions going by themselves while the server
// serves: the schedule evaluates a pending promotion when its decision's
// NotBefore comes, and the promotions a crash (kill -9) left between two
// steps are recovered (release.Promotions.Recover) in the background, so
// that a deployment handed to a slow deployer again does not hold up the
// start. Both read what to do from the store: nothing is lost in a restart.
func (s *Server) resumePromotions(ctx context.Context) {
	if s.promos == nil {
		return
	}
	if err := s.promos.RunSchedule(ctx); err != nil {
		s.log.ErrorContext(ctx, "promotion schedule", "error", err)
	}
	go func() {
		rec, err := s.promos.Recover(ctx)
		if err != nil {
			s.log.ErrorContext(ctx, "promotions recovered with errors", "evaluated", rec.Evaluated, "lanes", rec.Lanes,
				"resumed", rec.Resumed, "error", err)
			return
		}
		s.log.InfoContext(ctx, "promotions recovered", "evaluated", rec.Evaluated, "lanes", rec.Lanes, "resumed", rec.Resumed)
	}()
}
