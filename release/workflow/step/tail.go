package step

import (
	"bytes"
	"strings"
	"sync"
)

// MaxLog is how much of a step's log is kept: the newest MiB.
const MaxLog = 1 << 20

// TailBuffer is an io.Writer that keeps only the newest Max bytes written,
// dropping whole lines from the front where it can. It is safe for
// concurrent use.
type TailBuffer struct {
	Max int // 0: MaxLog

	mu  sync.Mutex
	buf []byte
	cut bool
}

// Write keeps p; the front is trimmed to Max bytes once the buffer holds
// twice that, so a long log costs amortised O(1) per byte, not a copy per line.
func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max() {
		t.trim()
	}
	return len(p), nil
}

func (t *TailBuffer) max() int {
	if t.Max <= 0 {
		return MaxLog
	}
	return t.Max
}

// trim drops the front down to Max bytes, at a line start where it can.
func (t *TailBuffer) trim() {
	over := len(t.buf) - t.max()
	if over <= 0 {
		return
	}
	if t.buf[over-1] != '\n' {
		if i := bytes.IndexByte(t.buf[over:], '\n'); i >= 0 && i < len(t.buf)-over-1 {
			over += i + 1
		}
	}
	t.buf = t.buf[:copy(t.buf, t.buf[over:])]
	t.cut = true
}

// Bytes returns a copy of the kept tail.
func (t *TailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trim()
	return bytes.Clone(t.buf)
}

// Truncated reports whether anything was dropped.
func (t *TailBuffer) Truncated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trim()
	return t.cut
}

// LastLines returns up to n of the newest lines, oldest first.
func (t *TailBuffer) LastLines(n int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trim()
	lines := strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
