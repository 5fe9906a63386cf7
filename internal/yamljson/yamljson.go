// Package yamljson decodes configuration files written in YAML or JSON
// (JSON is YAML) into Go values the way encoding/json would, refusing
// unknown fields, so a file means the same whichever syntax it came in and
// a misspelt setting is an error rather than a silent default.
//
//	var cfg struct{ Gates []Gate `json:"gates"` }
//	err := yamljson.Unmarshal(data, &cfg)
package yamljson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"gopkg.in/yaml.v3"
)

// Unmarshal decodes the single YAML or JSON document in data into v
// through its JSON form: json tags apply, numbers become what encoding/json
// makes of them, and fields v does not have are refused. An empty document
// is an error.
func Unmarshal(data []byte, v any) error {
	var tree any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&tree); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if tree == nil {
		return errors.New("empty document")
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	jd := json.NewDecoder(bytes.NewReader(js))
	jd.DisallowUnknownFields()
	return jd.Decode(v)
}
