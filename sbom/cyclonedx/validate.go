package cyclonedx

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFS holds the official CycloneDX schemas (copied from
// shared/conformance/cyclonedx/schema) so validation needs no network or
// checkout beside the binary.
//
//go:embed schema/*.schema.json
var schemaFS embed.FS

// schemaBase is the $id prefix every embedded schema declares.
const schemaBase = "http://cyclonedx.org/schema/"

// Validator checks documents against one CycloneDX JSON schema. Compiling the
// schema is the costly part: make one and reuse it.
type Validator struct {
	schema *jsonschema.Schema
}

// NewValidator compiles the official schema of version 1.6 or 1.7, with
// format assertions on (timestamps, e-mail addresses, IRIs are checked).
func NewValidator(version Version) (*Validator, error) {
	if _, err := specVersion(version); err != nil {
		return nil, err
	}
	if version == "" {
		version = Version17
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: embedded schemas: %w", err)
	}
	// Register every file by its $id, which is how the bom schemas $ref them.
	for _, e := range entries {
		b, err := schemaFS.ReadFile("schema/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("cyclonedx: embedded schema %s: %w", e.Name(), err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("cyclonedx: embedded schema %s: %w", e.Name(), err)
		}
		if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
			return nil, fmt.Errorf("cyclonedx: embedded schema %s: %w", e.Name(), err)
		}
	}
	s, err := c.Compile(schemaBase + "bom-" + string(version) + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: compile %s schema: %w", version, err)
	}
	return &Validator{schema: s}, nil
}

// Validate checks raw JSON against the schema; the error lists every
// violation with its location in the document.
func (v *Validator) Validate(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("cyclonedx: parse JSON: %w", err)
	}
	if err := v.schema.Validate(doc); err != nil {
		return fmt.Errorf("cyclonedx: invalid document: %w", err)
	}
	return nil
}

// Validate checks raw JSON against the official schema of version (1.6 or
// 1.7). It compiles the schema on every call; use a Validator for many files.
func Validate(raw []byte, version Version) error {
	v, err := NewValidator(version)
	if err != nil {
		return err
	}
	return v.Validate(raw)
}
