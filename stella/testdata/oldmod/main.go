// Command oldmod pins old, vulnerable module versions on purpose: it is the
// input of stella scan's peer-agreement test against govulncheck.
package main

import (
	"fmt"

	"github.com/dgrijalva/jwt-go"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/html"
	"golang.org/x/sys/cpu"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v2"
)

func main() {
	_ = jwt.New(jwt.SigningMethodHS256)
	_ = ssh.InsecureIgnoreHostKey()
	_, _ = html.Parse(nil)
	_ = cpu.X86.HasAVX2
	fmt.Println(language.English)
	_, _ = yaml.Marshal(map[string]int{"a": 1})
}
