package release

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

var (
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// ValidateTag checks a tag against the OCI distribution grammar.
func ValidateTag(tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("tag %q is not valid (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')", tag)
	}
	return nil
}

// ValidateDigest accepts only lowercase sha256 digests: Stella pins by sha256.
func ValidateDigest(d string) error {
	if !digestPattern.MatchString(d) {
		return fmt.Errorf("digest %q is not sha256:<64 lowercase hex>", d)
	}
	return nil
}

// ImageRef is a parsed image reference: a repository plus a tag or a digest.
type ImageRef struct {
	Registry   string // host[:port]
	Repository string // path within the registry
	Tag        string
	Digest     string
}

// Name returns "registry/repository".
func (r ImageRef) Name() string { return r.Registry + "/" + r.Repository }

// String returns the reference, digest form preferred.
func (r ImageRef) String() string {
	switch {
	case r.Digest != "":
		return r.Name() + "@" + r.Digest
	case r.Tag != "":
		return r.Name() + ":" + r.Tag
	}
	return r.Name()
}

// ParseImageRef parses "host/repo:tag", "host/repo@sha256:…" or "host/repo". A
// reference without a host is refused: Stella never guesses a default registry.
func ParseImageRef(s string) (ImageRef, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return ImageRef{}, fmt.Errorf("image reference %q is empty or has surrounding spaces", s)
	}
	first, _, hasSlash := strings.Cut(s, "/")
	if !hasSlash || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		return ImageRef{}, fmt.Errorf("image reference %q has no registry host (write host[:port]/repository)", s)
	}
	ref, err := name.ParseReference(s, name.StrictValidation)
	if err != nil {
		return ImageRef{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	out := ImageRef{Registry: ref.Context().RegistryStr(), Repository: ref.Context().RepositoryStr()}
	switch r := ref.(type) {
	case name.Digest:
		out.Digest = r.DigestStr()
		if err := ValidateDigest(out.Digest); err != nil {
			return ImageRef{}, fmt.Errorf("image reference %q: %w", s, err)
		}
	case name.Tag:
		// StrictValidation rejects a missing tag, so a tag here was written.
		out.Tag = r.TagStr()
	}
	return out, nil
}

// ParseRepository parses "host[:port]/path" with neither tag nor digest.
func ParseRepository(s string) (ImageRef, error) {
	if strings.ContainsAny(s, "@") || strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
		return ImageRef{}, fmt.Errorf("repository %q must not carry a tag or digest", s)
	}
	first, _, hasSlash := strings.Cut(s, "/")
	if !hasSlash || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		return ImageRef{}, fmt.Errorf("repository %q has no registry host (write host[:port]/repository)", s)
	}
	repo, err := name.NewRepository(s, name.StrictValidation)
	if err != nil {
		return ImageRef{}, fmt.Errorf("repository %q: %w", s, err)
	}
	return ImageRef{Registry: repo.RegistryStr(), Repository: repo.RepositoryStr()}, nil
}
