package graph

import (
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/release"
)

//go:generate go tool gqlgen generate

// Resolver is the root of the GraphQL resolvers. It only translates between
// GraphQL and the SDK packages; the rules live in those packages.
type Resolver struct {
	Catalog *release.Service
	Tokens  auth.Store
	Now     func() time.Time
	NewID   func() string
}
