package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/internal/canon"
)

// DocumentNamespacePrefix is the base of SPDX document namespaces and SPDX 3
// document IRIs (sbom.md §3.3).
const DocumentNamespacePrefix = "https://stella-ops.org/spdx/"

// modelView is the part of a Document that defines its content: everything
// but the volatile Timestamp and Tool (sbom.md §6).
type modelView struct {
	Subject      Subject      `json:"subject"`
	Components   []Component  `json:"components"`
	Dependencies []Dependency `json:"dependencies"`
	Layers       []Layer      `json:"layers"`
	Properties   []Property   `json:"properties"`
	Warnings     []Warning    `json:"warnings"`
}

// ModelDigest is "sha256:<hex>" of the canonical JSON of the normalized model,
// without its volatile fields. d is not modified: a normalized copy is hashed,
// so callers need not normalize first.
func ModelDigest(d *Document) (string, error) {
	c, err := Normalized(d)
	if err != nil {
		return "", err
	}
	return canon.Digest(modelView{
		Subject: c.Subject, Components: c.Components, Dependencies: c.Dependencies,
		Layers: c.Layers, Properties: c.Properties, Warnings: c.Warnings,
	})
}

// Normalized returns a normalized deep copy of d, for encoders and digests
// that must not modify their argument. The copy goes through JSON, which
// every field of the model survives.
func Normalized(d *Document) (*Document, error) {
	if d == nil {
		return nil, errors.New("sbom: nil document")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("sbom: copy document: %w", err)
	}
	var c Document
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("sbom: copy document: %w", err)
	}
	if err := Normalize(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// SerialNumber is the CycloneDX serialNumber derived from a model digest:
// "urn:uuid:" + UUIDv5(URL namespace, "stella:sbom:" + modelDigest).
func SerialNumber(modelDigest string) string {
	return "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("stella:sbom:"+modelDigest)).String()
}

// DocumentNamespace is the SPDX documentNamespace (and SPDX 3 document IRI)
// derived from a model digest: the prefix plus the digest's hex.
func DocumentNamespace(modelDigest string) string {
	return DocumentNamespacePrefix + strings.TrimPrefix(modelDigest, "sha256:")
}

// ContentDigest is the SBOM's identity (sbom.md §6): "sha256:<hex>" of the
// canonical JSON of the parsed file with the volatile fields of its format
// removed. It accepts CycloneDX JSON, SPDX 2.x JSON and SPDX 3 JSON-LD, from
// any tool, and rejects duplicate object keys.
func ContentDigest(raw []byte) (string, error) {
	v, err := parseStrict(raw)
	if err != nil {
		return "", err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", errors.New("sbom: content digest: document is not a JSON object")
	}
	switch {
	case obj["bomFormat"] == "CycloneDX":
		delete(obj, "serialNumber")
		if md, ok := obj["metadata"].(map[string]any); ok {
			for _, k := range []string{"timestamp", "tools", "authors"} {
				delete(md, k)
			}
		}
	case obj["spdxVersion"] != nil:
		delete(obj, "documentNamespace")
		if ci, ok := obj["creationInfo"].(map[string]any); ok {
			for _, k := range []string{"created", "creators", "licenseListVersion"} {
				delete(ci, k)
			}
		}
	case obj["@context"] != nil:
		stripSPDX3CreationInfo(obj)
	default:
		return "", errors.New("sbom: content digest: not a CycloneDX (bomFormat), SPDX 2 (spdxVersion) or SPDX 3 (@context) document")
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("sbom: content digest: %w", err)
	}
	c, err := canon.Transform(b)
	if err != nil {
		return "", err
	}
	return canon.SHA256(c), nil
}

// stripSPDX3CreationInfo removes created, createdBy and createdUsing from every
// CreationInfo object, whether it sits in @graph or inline in an element.
func stripSPDX3CreationInfo(v any) {
	switch x := v.(type) {
	case map[string]any:
		if t, _ := x["type"].(string); t == "CreationInfo" || x["@type"] == "CreationInfo" {
			for _, k := range []string{"created", "createdBy", "createdUsing"} {
				delete(x, k)
			}
		}
		for _, child := range x {
			stripSPDX3CreationInfo(child)
		}
	case []any:
		for _, child := range x {
			stripSPDX3CreationInfo(child)
		}
	}
}

// parseStrict parses one JSON value, keeping numbers as written and rejecting
// duplicate object keys (offline.md §1.1) and trailing data.
func parseStrict(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, fmt.Errorf("sbom: parse JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("sbom: parse JSON: trailing data after the document")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				if _, dup := obj[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				if obj[k], err = parseValue(dec); err != nil {
					return nil, err
				}
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %q", t)
	default:
		return t, nil
	}
}

// MerkleRoot is the Merkle root of offline.md §1.4 over "sha256:<hex>" leaves
// in the given order: adjacent pairs are hashed, an odd last node is paired
// with itself; one leaf is its own root; no leaves give sha256("").
func MerkleRoot(leaves []string) (string, error) {
	if len(leaves) == 0 {
		return canon.SHA256(nil), nil
	}
	level := make([][]byte, len(leaves))
	for i, l := range leaves {
		h, err := parseSHA256(l)
		if err != nil {
			return "", fmt.Errorf("sbom: merkle leaf %d: %w", i, err)
		}
		level[i] = h
	}
	for len(level) > 1 {
		next := make([][]byte, 0, (len(level)+1)/2)
		for i := 0; i < len(level); i += 2 {
			right := level[i]
			if i+1 < len(level) {
				right = level[i+1]
			}
			sum := sha256.Sum256(append(append([]byte{}, level[i]...), right...))
			next = append(next, sum[:])
		}
		level = next
	}
	return "sha256:" + hex.EncodeToString(level[0]), nil
}

// parseSHA256 decodes "sha256:" + 64 lowercase hex into its 32 bytes.
func parseSHA256(s string) ([]byte, error) {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 || strings.ToLower(h) != h {
		return nil, fmt.Errorf("%q is not sha256: followed by 64 lowercase hex digits", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%q is not sha256: followed by 64 lowercase hex digits", s)
	}
	return b, nil
}
