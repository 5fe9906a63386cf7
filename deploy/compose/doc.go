// Package compose renders and verifies compose.stella.lock.yml, the Compose
// file an agent runs for a release (deploy spec §3.1).
//
// Every image is pinned by digest, secrets appear only as ${VAR} placeholders
// (the Value type has no room for a secret's value), and the file carries a
// checksum over its own bytes so an edit on the host is caught:
//
//	b, err := compose.Render(compose.Lock{
//		Release:     compose.Release{ID: id, Name: "myapp-v2.3.1", Digest: rd},
//		Environment: compose.Environment{ID: envID, Name: "prod"},
//		Deployment:  compose.Deployment{ID: depID, StartedAt: started},
//		Generator:   "stella@1.4.0",
//		Generated:   clock.Now(),
//		Services: map[string]compose.Service{"api": {Repository: repo, Digest: d, Tag: "v2.3.1", Component: "api",
//			Env: map[string]compose.Value{"DATABASE_URL": compose.Secret("DATABASE_URL")}}},
//	})
//	err = compose.Verify(b)
package compose
