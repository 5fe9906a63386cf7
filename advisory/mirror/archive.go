package mirror

import (
	"fmt"
	"io"

	"github.com/stella-ops/stella/internal/archive"
)

// MaxSize bounds a bundle's compressed and uncompressed bytes on import.
const MaxSize = 2 << 30

// readArchive reads a whole bundle into memory, at most limit bytes
// compressed and uncompressed, refusing unsafe paths, duplicates and
// anything but regular files.
func readArchive(r io.Reader, limit int64) (map[string][]byte, error) {
	files, err := archive.ReadAll(r, limit)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIntegrity, err)
	}
	return files, nil
}
