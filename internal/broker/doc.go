// Package broker fans values out to subscribers inside one process. Each
// subscriber reads its own buffered channel; Publish never blocks, and a
// subscriber whose buffer is full is ended with ErrBehind rather than
// skipped, so a stream that is still open has missed nothing.
package broker
