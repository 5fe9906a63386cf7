package step

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTailBufferKeepsTheNewestLines(t *testing.T) {
	tb := &TailBuffer{}
	var all bytes.Buffer
	for i := range 3 << 10 { // 3 MiB in 1 KiB lines
		line := fmt.Sprintf("%01023d\n", i)
		all.WriteString(line)
		tb.Write([]byte(line))
	}
	kept := tb.Bytes()
	if len(kept) > MaxLog || !tb.Truncated() || !bytes.HasSuffix(all.Bytes(), kept) || kept[0] != '0' {
		t.Fatalf("kept %d bytes, truncated %v", len(kept), tb.Truncated())
	}
	if len(kept) != MaxLog { // lines of 1 KiB fit a MiB exactly
		t.Fatalf("kept %d bytes, want %d", len(kept), MaxLog)
	}
	if got := tb.LastLines(2); !slices.Equal(got, []string{fmt.Sprintf("%01023d", 3<<10-2), fmt.Sprintf("%01023d", 3<<10-1)}) {
		t.Fatalf("LastLines = %.40v", got)
	}
}

func TestTailBufferSmall(t *testing.T) {
	tb := &TailBuffer{Max: 10}
	if tb.LastLines(3) != nil {
		t.Fatal("an empty buffer has no lines")
	}
	tb.Write([]byte("one\ntwo\nthree\nfour\n"))
	if got := string(tb.Bytes()); got != "four\n" {
		t.Fatalf("kept %q", got)
	}
	tb.Write([]byte(strings.Repeat("x", 25))) // one line longer than Max: keep its end
	if got := string(tb.Bytes()); got != strings.Repeat("x", 10) {
		t.Fatalf("kept %q", got)
	}
}

func BenchmarkTailBuffer(b *testing.B) {
	line := []byte(strings.Repeat("x", 99) + "\n")
	tb := &TailBuffer{}
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		tb.Write(line)
	}
}

func TestParseOutputs(t *testing.T) {
	mask := masker(map[string]string{"T": "s3cret"})
	got, err := parseOutputs([]byte("a=1\n\nb.c-d=x=y\r\na=2\ntok=pre-s3cret\n"), mask)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["a"] != "2" || got["b.c-d"] != "x=y" || got["tok"] != "pre-***" {
		t.Fatalf("%v", got)
	}
	for _, bad := range []string{"novalue", "=v", "1a=v", "exitCode=0", "a b=c"} {
		if _, err := parseOutputs([]byte(bad), mask); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
