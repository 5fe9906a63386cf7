package runner

import (
	"sync"
	"time"
)

// MaxLog is how much of each node attempt's log is kept: the last MiB.
const MaxLog = 1 << 20

// maxLogEvent bounds the text of one step_log event (the newest part of it
// is kept); the full tail stays readable through Logs.
const maxLogEvent = 64 << 10

// logFlush is how often new log output becomes a step_log event.
const logFlush = 500 * time.Millisecond

// tailLog is a step's Log: it keeps the last max bytes written, and the
// output not yet published.
type tailLog struct {
	mu        sync.Mutex
	max       int
	tail      []byte
	pending   []byte
	truncated bool
}

func newTailLog(max int) *tailLog { return &tailLog{max: max} }

func (l *tailLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail = keepLast(append(l.tail, p...), l.max, &l.truncated)
	var dropped bool
	l.pending = keepLast(append(l.pending, p...), maxLogEvent, &dropped)
	return len(p), nil
}

// flush returns the output written since the last flush (ok is false when
// there is none) and a copy of the kept tail.
func (l *tailLog) flush() (chunk, tail []byte, truncated, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	chunk, l.pending = l.pending, nil
	return chunk, append([]byte(nil), l.tail...), l.truncated, len(chunk) > 0
}

// keepLast drops the front of b beyond max bytes, copying so that the
// buffer does not grow without bound.
func keepLast(b []byte, max int, cut *bool) []byte {
	if len(b) <= max {
		return b
	}
	*cut = true
	return append(make([]byte, 0, max), b[len(b)-max:]...)
}
