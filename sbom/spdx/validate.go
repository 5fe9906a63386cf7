package spdx

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFS holds the SPDX 2.3 JSON schema, copied from the SPDX specification
// (shared/conformance/spdx/spdx-2.3.schema.json), so validation is offline.
//
//go:embed schema/spdx-2.3.schema.json
var schemaFS embed.FS

const schemaURL = "https://stella-ops.org/schema/spdx-2.3.schema.json"

// Validate checks raw SPDX JSON against the SPDX 2.3 JSON schema. The error
// lists every violation with its JSON pointer.
func Validate(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ValidationError{Msg: "not JSON: " + err.Error()}
	}
	schema, err := compileSchema()
	if err != nil {
		return err
	}
	if err := schema.Validate(doc); err != nil {
		return &ValidationError{Msg: fmt.Sprintf("does not match the SPDX 2.3 schema: %v", err)}
	}
	return nil
}

// compileSchema compiles the embedded schema. It is cheap enough (a few
// milliseconds) to repeat per call, which keeps the package free of state.
func compileSchema() (*jsonschema.Schema, error) {
	b, err := schemaFS.ReadFile("schema/spdx-2.3.schema.json")
	if err != nil {
		return nil, fmt.Errorf("spdx: schema: %w", err)
	}
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("spdx: schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, s); err != nil {
		return nil, fmt.Errorf("spdx: schema: %w", err)
	}
	schema, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("spdx: schema: %w", err)
	}
	return schema, nil
}
