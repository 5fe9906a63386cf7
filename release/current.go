package release

import "time"

// CurrentRelease is the release of one application now deployed in an
// environment (release.md §2: a promotion reaching deployed sets it), and
// the promotion that deployed it.
type CurrentRelease struct {
	EnvironmentID string    `json:"environmentId"`
	Application   string    `json:"application"`
	ReleaseID     string    `json:"releaseId"`
	PromotionID   string    `json:"promotionId,omitempty"` // "" for a row written before promotions recorded it
	DeployedAt    time.Time `json:"deployedAt"`            // zero when PromotionID is ""
}
