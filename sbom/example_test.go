package sbom_test

import (
	"fmt"

	"github.com/stella-ops/stella/sbom"
)

func ExampleDiff() {
	lib := func(name, version string) sbom.Component {
		return sbom.Component{PURL: "pkg:golang/" + name + "@" + version, Type: "library", Name: name, Version: version}
	}
	before := &sbom.Document{Components: []sbom.Component{
		lib("golang.org/x/net", "v0.20.0"),
		lib("golang.org/x/text", "v0.14.0"),
	}}
	after := &sbom.Document{Components: []sbom.Component{
		lib("golang.org/x/net", "v0.23.0"),
		lib("github.com/google/uuid", "v1.6.0"),
	}}
	for _, c := range sbom.Diff(before, after).Changes {
		versions := c.From + " → " + c.To
		switch c.Kind {
		case sbom.Added:
			versions = c.To
		case sbom.Removed:
			versions = c.From
		}
		fmt.Println(c.Kind, c.Name, versions)
	}
	// Output:
	// added github.com/google/uuid v1.6.0
	// changed golang.org/x/net v0.20.0 → v0.23.0
	// removed golang.org/x/text v0.14.0
}
