package compose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stella-ops/stella/fault"
)

var update = flag.Bool("update", false, "rewrite testdata/myapp.golden")

func hex64(c string) string { return "sha256:" + strings.Repeat(c, 64) }

func fixture() Lock {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return Lock{
		Release:     Release{ID: "01900000-0000-7000-8000-000000000001", Name: "myapp-v2.3.1", Digest: hex64("a")},
		Environment: Environment{ID: "01900000-0000-7000-8000-000000000004", Name: "prod"},
		Deployment:  Deployment{ID: "01900000-0000-7000-8000-000000000002", StartedAt: t0.Add(-time.Minute)},
		Generator:   "stella@1.4.0",
		Generated:   t0,
		Services: map[string]Service{
			"worker": {Repository: "registry.example.com/myapp/worker", Digest: hex64("c"), Tag: "v2.3.1", Component: "worker",
				Env: map[string]Value{"QUEUE": Literal("jobs"), "CONCURRENCY": Literal("4"), "DEBUG": Literal("false")}},
			"api": {Repository: "registry.example.com/myapp/api", Digest: hex64("b"), Tag: "v2.3.1", Component: "api",
				Env: map[string]Value{
					"DATABASE_URL": Secret("DATABASE_URL"),
					"API_TOKEN":    Secret("MYAPP_API_TOKEN"),
					"GREETING":     Literal(`hello: "world" # not a comment`),
					"PRICE":        Literal("costs $5 or ${NOT_A_SECRET}"),
					"EMPTY":        Literal(""),
				}},
			"web": {Repository: "localhost:5000/myapp/web", Digest: hex64("d"), Component: "web"},
		},
	}
}

func mustRender(t testing.TB, l Lock) []byte {
	t.Helper()
	b, err := Render(l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	got := mustRender(t, fixture())
	path := filepath.Join("testdata", "myapp.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("lock file differs from %s (run with -update after checking):\n%s", path, got)
	}
	if err := Verify(want); err != nil {
		t.Fatalf("golden file does not verify: %v", err)
	}
}

// TestParsesBackToSameValues reads the file with a YAML library and checks
// every value survived the hand-written quoting.
func TestParsesBackToSameValues(t *testing.T) {
	l := fixture()
	var f file
	if err := yaml.Unmarshal(mustRender(t, l), &f); err != nil {
		t.Fatal(err)
	}
	if f.Name != "prod" || f.XStella.Release.Name != l.Release.Name || f.XStella.Deployment.StartedAt != "2026-03-01T11:59:00Z" {
		t.Fatalf("header values lost: %+v", f)
	}
	for name, s := range l.Services {
		got := f.Services[name]
		if got.Image != s.Repository+"@"+s.Digest {
			t.Errorf("%s image = %q", name, got.Image)
		}
		if got.Labels["stella.component"] != s.Component {
			t.Errorf("%s component label = %q", name, got.Labels["stella.component"])
		}
		for k, v := range s.Env {
			want := "${" + v.s + "}"
			if !v.secret {
				want = strings.ReplaceAll(v.s, "$", "$$")
			}
			if got.Environment[k] != want {
				t.Errorf("%s env %s = %q, want %q", name, k, got.Environment[k], want)
			}
		}
	}
}

func TestDeterministicWhateverTheInputOrder(t *testing.T) {
	want := mustRender(t, fixture())
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		l := fixture()
		// Rebuild every map with keys inserted in a shuffled order.
		names := sortedKeys(l.Services)
		r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
		services := map[string]Service{}
		for _, n := range names {
			s := l.Services[n]
			keys := sortedKeys(s.Env)
			r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			env := map[string]Value{}
			for _, k := range keys {
				env[k] = s.Env[k]
			}
			s.Env = env
			services[n] = s
		}
		l.Services = services
		l.Generated = l.Generated.In(time.FixedZone("X", -5*3600))
		if got := mustRender(t, l); !bytes.Equal(got, want) {
			t.Fatalf("different bytes for the same lock:\n%s", got)
		}
	}
}

func TestSecretsNeverAppear(t *testing.T) {
	const value = "s3cr3t-hunter2"
	t.Setenv("DATABASE_URL", value)
	t.Setenv("MYAPP_API_TOKEN", value)
	b := mustRender(t, fixture())
	if bytes.Contains(b, []byte(value)) {
		t.Fatal("a secret value reached the lock file")
	}
	for _, p := range []string{"DATABASE_URL: ${DATABASE_URL}\n", "API_TOKEN: ${MYAPP_API_TOKEN}\n"} {
		if !bytes.Contains(b, []byte(p)) {
			t.Errorf("missing placeholder line %q", p)
		}
	}
	// A literal that looks like a placeholder is escaped, so Compose will not
	// fill it from the environment.
	if !bytes.Contains(b, []byte(`PRICE: "costs $$5 or $${NOT_A_SECRET}"`)) && !bytes.Contains(b, []byte(`PRICE: costs $$5`)) {
		t.Errorf("literal with $ not escaped:\n%s", b)
	}
}

func TestRenderRejectsBadInput(t *testing.T) {
	l := fixture()
	l.Release.Digest = "sha256:abc"
	l.Environment.Name = "Prod"
	l.Generator = "stella\n# injected"
	api := l.Services["api"]
	api.Repository = "registry.example.com/myapp/api:v2"
	api.Env = map[string]Value{"DB_PASSWORD": Literal("hunter2"), "1BAD": Literal("x"), "OK": Secret("not-a-name")}
	l.Services["api"] = api
	l.Services["Bad Name"] = l.Services["web"]
	_, err := Render(l)
	var ve *fault.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a validation error", err)
	}
	for _, field := range []string{"release.digest", "environment.name", "generator", "services.api.repository",
		"services.api.env.DB_PASSWORD", "services.api.env", "services.api.env.OK", "services"} {
		found := false
		for _, fe := range ve.Fields {
			found = found || fe.Field == field
		}
		if !found {
			t.Errorf("no error for %s in %v", field, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Error("error message repeats the secret-looking value")
	}
}

func TestVerifyRejects(t *testing.T) {
	good := string(mustRender(t, fixture()))
	// reseal recomputes the checksum so the content checks are reached.
	reseal := func(s string) string {
		i := strings.LastIndex(s, `sha256: "`) + len(`sha256: "`)
		zeroed := s[:i] + checksumPlaceholder + s[i+64:]
		sum := sha256.Sum256([]byte(zeroed))
		return s[:i] + hex.EncodeToString(sum[:]) + s[i+64:]
	}
	cases := map[string]struct{ data, want string }{
		"edited":       {strings.Replace(good, "jobs", "jobz", 1), "x-stella.checksum: mismatch"},
		"no checksum":  {good[:strings.Index(good, "  checksum:")], "x-stella.checksum: missing"},
		"unpinned":     {reseal(strings.Replace(good, "registry.example.com/myapp/api@"+hex64("b"), "registry.example.com/myapp/api:v2.3.1", 1)), "services.api.image: \"registry.example.com/myapp/api:v2.3.1\" is not pinned"},
		"secret value": {reseal(strings.Replace(good, "${MYAPP_API_TOKEN}", "hunter2", 1)), "services.api.environment.API_TOKEN: looks like a secret"},
		"interpolate":  {reseal(strings.Replace(good, "QUEUE: jobs", "QUEUE: ${HOME}x", 1)), "services.worker.environment.QUEUE"},
		"version key":  {reseal(strings.Replace(good, "name: prod\n", "version: \"3\"\nname: prod\n", 1)), "no version"},
		"label":        {reseal(strings.Replace(good, "stella.digest: "+hex64("c"), "stella.digest: "+hex64("f"), 1)), "services.worker.labels.stella.digest"},
		"header":       {reseal(strings.Replace(good, "# Generated by Stella - DO NOT EDIT", "# hello", 1)), "header: line 1"},
		"not utf8":     {good + "\xff", "not valid UTF-8"},
		"no component": {reseal(strings.Replace(good, "stella.component: web", "stella.component: \"\"", 1)), "services.web.labels.stella.component"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := Verify([]byte(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(mustRender(f, fixture()))
	f.Add([]byte("name: x\n  checksum: {sha256: \"" + checksumPlaceholder + "\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Verify(data) // must not panic
	})
}

// FuzzRenderVerifies: whatever Render accepts, Verify accepts, and the values
// read back are the ones put in.
func FuzzRenderVerifies(f *testing.F) {
	f.Add("myapp-v2.3.1", "api", "QUEUE", "jobs", "r1", "v2.3.1")
	f.Add("x", "a.b-c_d", "A", "yes", "true", "1.0")
	f.Add("é", "0", "_", "${X} \"q\" \n\t:# {a: [b]}", "null", "")
	f.Fuzz(func(t *testing.T, relName, svc, envName, envVal, relID, tag string) {
		l := fixture()
		l.Release.Name, l.Release.ID = relName, relID
		s := l.Services["web"]
		s.Tag, s.Component = tag, relID
		s.Env = map[string]Value{envName: Literal(envVal)}
		l.Services = map[string]Service{svc: s}
		b, err := Render(l)
		if err != nil {
			return
		}
		if err := Verify(b); err != nil {
			t.Fatalf("rendered file does not verify: %v\n%s", err, b)
		}
		var got file
		if err := yaml.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.XStella.Release.Name != relName || got.XStella.Release.ID != relID ||
			got.Services[svc].Environment[envName] != strings.ReplaceAll(envVal, "$", "$$") ||
			got.Services[svc].Labels["stella.component"] != relID {
			t.Fatalf("values changed on the way through YAML:\n%s", b)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	l := fixture()
	for b.Loop() {
		if _, err := Render(l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	data := mustRender(b, fixture())
	for b.Loop() {
		if err := Verify(data); err != nil {
			b.Fatal(err)
		}
	}
}
