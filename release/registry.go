package release

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Registry is what release needs from an OCI registry.
type Registry interface {
	// Ping checks that the registry answers and accepts the credential.
	Ping(ctx context.Context) error
	// Tags lists the tags of a repository ("path" inside the registry).
	Tags(ctx context.Context, repository string) ([]string, error)
	// Resolve returns the digest that a tag or digest reference points to now.
	Resolve(ctx context.Context, repository, tagOrDigest string) (string, error)
}

// RegistryOpener connects to the registry an integration describes.
type RegistryOpener func(ctx context.Context, in *Integration, cred *Credential) (Registry, error)

// ErrTagNotFound is returned by Registry.Resolve for a tag or digest the repository lacks.
var ErrTagNotFound = errors.New("tag not found")

// OpenOCIRegistry is the default RegistryOpener: the OCI distribution API through
// go-containerregistry. Harbor registries speak the same API.
func OpenOCIRegistry(_ context.Context, in *Integration, cred *Credential) (Registry, error) {
	host, err := registryHost(in.Config.Endpoint)
	if err != nil {
		return nil, err
	}
	var opts []name.Option
	if in.Config.Insecure {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("registry endpoint %q: %w", in.Config.Endpoint, err)
	}
	var auth authn.Authenticator = authn.Anonymous
	if cred != nil {
		switch {
		case cred.Token != "":
			auth = &authn.Bearer{Token: cred.Token}
		case cred.Username != "":
			auth = &authn.Basic{Username: cred.Username, Password: cred.Password}
		}
	}
	rt := http.DefaultTransport
	if len(in.Config.Headers) > 0 {
		rt = headerTransport{base: rt, headers: in.Config.Headers}
	}
	return &ociRegistry{reg: reg, auth: auth, rt: rt, insecure: in.Config.Insecure}, nil
}

type ociRegistry struct {
	reg      name.Registry
	auth     authn.Authenticator
	rt       http.RoundTripper
	insecure bool
}

func (r *ociRegistry) options(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(r.auth), remote.WithTransport(r.rt)}
}

func (r *ociRegistry) repo(repository string) (name.Repository, error) {
	return name.NewRepository(r.reg.RegistryStr()+"/"+repository, r.nameOptions()...)
}

func (r *ociRegistry) nameOptions() []name.Option {
	if r.insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (r *ociRegistry) Ping(ctx context.Context) error {
	// NewWithContext pings /v2/ and performs the auth handshake.
	_, err := transport.NewWithContext(ctx, r.reg, r.auth, r.rt, nil)
	return err
}

func (r *ociRegistry) Tags(ctx context.Context, repository string) ([]string, error) {
	repo, err := r.repo(repository)
	if err != nil {
		return nil, err
	}
	tags, err := remote.List(repo, r.options(ctx)...)
	if isNotFound(err) {
		return nil, nil // a repository with no pushes has no tags
	}
	return tags, err
}

func (r *ociRegistry) Resolve(ctx context.Context, repository, tagOrDigest string) (string, error) {
	sep := ":"
	if strings.HasPrefix(tagOrDigest, "sha256:") {
		sep = "@"
	}
	ref, err := name.ParseReference(r.reg.RegistryStr()+"/"+repository+sep+tagOrDigest, r.nameOptions()...)
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(ref, r.options(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return "", ErrTagNotFound
		}
		return "", err
	}
	return desc.Digest.String(), nil
}

func isNotFound(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		if terr.StatusCode == http.StatusNotFound {
			return true
		}
		for _, d := range terr.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return true
			}
		}
	}
	return false
}

// isTransportFailure tells an unreachable registry from one that answered with an error.
func isTransportFailure(err error) bool {
	var nerr net.Error
	var uerr *url.Error
	return errors.As(err, &nerr) || errors.As(err, &uerr) || errors.Is(err, context.DeadlineExceeded)
}

func registryHost(endpoint string) (string, error) {
	if endpoint == "" {
		return "", invalid("config.endpoint", "a registry integration needs an endpoint")
	}
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return "", invalid("config.endpoint", "%q is not a valid URL", endpoint)
		}
		return u.Host, nil
	}
	return endpoint, nil
}

type headerTransport struct {
	base    http.RoundTripper
	headers map[string]string
}

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	return t.base.RoundTrip(req)
}
