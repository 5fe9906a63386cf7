// Command gobin is a tiny program the SBOM tests build and scan: its module
// list (go version -m) is what the SBOM must report.
package main

import (
	"fmt"

	"github.com/google/uuid"
	"golang.org/x/mod/semver"
)

func main() {
	fmt.Println(uuid.NewSHA1(uuid.NameSpaceURL, []byte("stella")), semver.IsValid("v1.0.0"))
}
