module example.com/oldmod

go 1.22

require (
	github.com/dgrijalva/jwt-go v3.2.0+incompatible
	golang.org/x/crypto v0.0.0-20190308221718-c2843e01d9a2
	golang.org/x/net v0.0.0-20190620200207-3b0461eec859
	golang.org/x/text v0.3.0
	gopkg.in/yaml.v2 v2.2.2
)

require golang.org/x/sys v0.0.0-20190215142949-d0b11bdaac8a
