package workflow

import "time"

func ParseTemplate(data []byte) (Template, error)            { return Template{}, nil }
func Validate(t *Template, knownType func(string) bool) error { return nil }
func DefaultDeploy() Template                                 { return Template{} }
func Canonical(t Template) ([]byte, error)                    { return nil, nil }
func Digest(t Template) (string, error)                       { return "", nil }
func Backoff(r Retry, attempt int) time.Duration              { return 0 }
func (c Condition) Eval(s Scope) (bool, error)                { return false, nil }
func NewRun(id string, t Template, inputs map[string]any) (*Run, error) {
	return nil, nil
}
func (r *Run) Next(now time.Time) Plan                               { return Plan{} }
func (r *Run) Started(node string, now time.Time) error              { return nil }
func (r *Run) Finished(node string, res Result, now time.Time) error { return nil }
func (r *Run) Cancel(now time.Time) Plan                             { return Plan{} }
func (r *Run) Node(id string) *NodeRun                               { return nil }
func (r *Run) Lookup(ref string) (any, bool)                         { return nil, false }
func (r *Run) Outputs() map[string]any                               { return nil }
