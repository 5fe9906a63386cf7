package advisory

import "slices"

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
