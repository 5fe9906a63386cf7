package advisory

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Part makes the observation of one advisory split out of an aggregate
// document (an Alpine secdb package, a multi-CVE CSAF file): raw is the part's
// own document, hashed on its own, and its upstream id extends the parent's
// with the advisory id. Merge expects one advisory per observation.
func Part(parent Observation, raw []byte, a Advisory) (Observation, error) {
	hash, err := ContentHash(raw)
	if err != nil {
		return Observation{}, err
	}
	x := parent
	x.ID, x.Supersedes = "", ""
	x.Upstream.ID = parent.Upstream.ID + "/" + a.ID
	x.ContentHash = hash
	x.Content = Content{Format: parent.Content.Format, SpecVersion: parent.Content.SpecVersion, Raw: raw}
	x.Identifiers = NewIdentifiers(a.ID, nil)
	x.Hints = Hints{PURLs: slices.Clone(parent.Hints.PURLs), CPEs: slices.Clone(parent.Hints.CPEs)}
	x.Advisory = &a
	return x, nil
}

// ReadFile opens path and hands it to read with its name, so that a reader's
// errors say which file is wrong. prefix starts an open error ("nvd", …).
func ReadFile(path, prefix string, read func(r io.Reader, name string) ([]Observation, error)) ([]Observation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	defer f.Close()
	return read(f, path)
}
