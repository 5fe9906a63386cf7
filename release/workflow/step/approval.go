package step

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// approval waits for Count distinct approvers from Groups (empty: anyone).
//
// Config: {"groups": ["release-managers"], "count": 2}  (count 0 → 1)
// Outputs: approvers (sorted ids). Waiting until count is reached.
type approval struct{ a Approvals }

type approvalConfig struct {
	Groups []string `json:"groups"`
	Count  int      `json:"count"`
}

func (s approval) Run(ctx context.Context, in Input) (Output, error) {
	var cfg approvalConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if err := checkGroups(cfg.Groups); err != nil {
		return Output{}, err
	}
	switch {
	case cfg.Count < 0 || cfg.Count > 100:
		return Output{}, invalid("count", "want 1…100, got %d", cfg.Count)
	case cfg.Count == 0:
		cfg.Count = 1
	}
	list, err := approvals(ctx, s.a, in)
	if err != nil {
		return Output{}, err
	}
	approvers := []string{}
	for _, a := range list {
		if inGroups(a.Group, cfg.Groups) && a.By != "" && !slices.Contains(approvers, a.By) {
			approvers = append(approvers, a.By)
		}
	}
	slices.Sort(approvers)
	waiting := len(approvers) < cfg.Count
	logf(in, "%d of %d approvals (%s)", len(approvers), cfg.Count, strings.Join(approvers, ", "))
	return Output{Values: map[string]any{"approvers": approvers}, Waiting: waiting}, nil
}

// manual waits for one confirmation from Groups (empty: anyone).
//
// Config: {"prompt": "Run the DB migration, then confirm", "groups": ["ops"]}
// Outputs: confirmedBy (the earliest confirmation), prompt. Waiting until confirmed.
type manual struct{ a Approvals }

type manualConfig struct {
	Prompt string   `json:"prompt"`
	Groups []string `json:"groups"`
}

func (s manual) Run(ctx context.Context, in Input) (Output, error) {
	var cfg manualConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if strings.TrimSpace(cfg.Prompt) == "" {
		return Output{}, invalid("prompt", "required: what the operator must do")
	}
	if err := checkGroups(cfg.Groups); err != nil {
		return Output{}, err
	}
	list, err := approvals(ctx, s.a, in)
	if err != nil {
		return Output{}, err
	}
	var first *Approval
	for i, a := range list {
		if a.By == "" || !inGroups(a.Group, cfg.Groups) {
			continue
		}
		if first == nil || a.At.Before(first.At) || (a.At.Equal(first.At) && a.By < first.By) {
			first = &list[i]
		}
	}
	if first == nil {
		logf(in, "waiting for confirmation: %s", cfg.Prompt)
		return Output{Values: map[string]any{"prompt": cfg.Prompt}, Waiting: true}, nil
	}
	logf(in, "confirmed by %s", first.By)
	return Output{Values: map[string]any{"prompt": cfg.Prompt, "confirmedBy": first.By}}, nil
}

func approvals(ctx context.Context, a Approvals, in Input) ([]Approval, error) {
	if a == nil {
		return nil, missing("approvals")
	}
	list, err := a.Approvals(ctx, optionalString(in, "tenant"), in.RunID, in.NodeID)
	if err != nil {
		return nil, depErr("approvals", err)
	}
	return list, nil
}

func checkGroups(groups []string) error {
	for i, g := range groups {
		if strings.TrimSpace(g) == "" {
			return invalid(fmt.Sprintf("groups[%d]", i), "empty group name")
		}
	}
	return nil
}

func inGroups(g string, groups []string) bool {
	return len(groups) == 0 || slices.Contains(groups, g)
}
