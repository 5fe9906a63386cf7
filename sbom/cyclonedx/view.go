package cyclonedx

import (
	"bytes"
	"encoding/json"

	"github.com/stella-ops/stella/sbom"
)

// The view types hold only what Decode maps. Reading through them, rather
// than the full cyclonedx-go model, keeps decoding lenient: parts of a valid
// document Stella does not use (declarations, patents, …) cannot fail it.

type bomView struct {
	Metadata     *metadataView    `json:"metadata"`
	Components   []componentView  `json:"components"`
	Dependencies []dependencyView `json:"dependencies"`
}

type metadataView struct {
	Timestamp  string         `json:"timestamp"`
	Tools      toolsView      `json:"tools"`
	Component  *componentView `json:"component"`
	Properties []propertyView `json:"properties"`
}

type componentView struct {
	BOMRef     string          `json:"bom-ref"`
	Type       string          `json:"type"`
	Group      string          `json:"group"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	PURL       string          `json:"purl"`
	CPE        string          `json:"cpe"`
	Hashes     []hashView      `json:"hashes"`
	Licenses   []licenseChoice `json:"licenses"`
	Properties []propertyView  `json:"properties"`
	Evidence   *struct {
		Occurrences []struct {
			Location string `json:"location"`
		} `json:"occurrences"`
	} `json:"evidence"`
	Components []componentView `json:"components"`
}

type hashView struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type licenseChoice struct {
	License *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"license"`
	Expression string `json:"expression"`
}

type propertyView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type dependencyView struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

type nameVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// toolsView is metadata.tools in either form: the 1.5+ object of components
// and services, or the deprecated 1.4 array of tools.
type toolsView struct {
	Components []nameVersion `json:"components"`
	Services   []nameVersion `json:"services"`
	Legacy     []nameVersion `json:"-"`
}

func (t *toolsView) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &t.Legacy)
	}
	type plain toolsView // no UnmarshalJSON: avoids recursion
	return json.Unmarshal(b, (*plain)(t))
}

// first is the first tool the document names, components before services
// before the legacy list.
func (t toolsView) first() sbom.Tool {
	for _, list := range [][]nameVersion{t.Components, t.Services, t.Legacy} {
		if len(list) > 0 {
			return sbom.Tool{Name: list[0].Name, Version: list[0].Version}
		}
	}
	return sbom.Tool{}
}
