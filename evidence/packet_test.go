package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// statementOf decodes a packet's signed statement.
func statementOf(t testing.TB, p *Packet) *attest.Statement {
	t.Helper()
	payload, err := base64.StdEncoding.DecodeString(p.Envelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(payload)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The content of one packet of each type, byte for byte, and its hash.
func TestContentGolden(t *testing.T) {
	signer, _ := keyFromSeed(t, 1)
	var hashes strings.Builder
	for _, typ := range Types() {
		p := seal(t, fixtureDraft(typ), signer)
		got := []byte(statementOf(t, p).Predicate)
		if canon.SHA256(got) != p.ContentHash {
			t.Fatalf("%s: contentHash %s is not the sha256 of the predicate", typ, p.ContentHash)
		}
		fmt.Fprintf(&hashes, "%s  %s.content.json\n", strings.TrimPrefix(p.ContentHash, "sha256:"), typ)
		golden(t, filepath.Join("testdata", string(typ)+".content.json"), got)
	}
	// One whole packet: with a fixed Ed25519 key even the envelope is stable.
	golden(t, filepath.Join("testdata", "release_decision.packet.json"), canonical(t, seal(t, fixtureDraft(ReleaseDecision), signer)))
	golden(t, filepath.Join("testdata", "hashes.txt"), []byte(hashes.String()))
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./evidence -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n got %s\nwant %s", path, got, want)
	}
}

func TestSealIsDeterministic(t *testing.T) {
	signer, _ := keyFromSeed(t, 1)
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range Types() {
		d := fixtureDraft(typ)
		before := fixtureContent(typ)
		want := seal(t, d, signer)
		if !reflect.DeepEqual(d.Content, before) {
			t.Fatalf("%s: Seal changed the caller's content", typ)
		}
		for i := range 10 {
			d2 := d
			d2.Content = shuffled(d.Content, r)
			got := seal(t, d2, signer)
			if got.ContentHash != want.ContentHash || got.Envelope.Payload != want.Envelope.Payload {
				t.Fatalf("%s, shuffle %d: contentHash %s, want %s", typ, i, got.ContentHash, want.ContentHash)
			}
			if !bytes.Equal(canonical(t, got), canonical(t, want)) {
				t.Fatalf("%s, shuffle %d: packet bytes differ", typ, i)
			}
		}
	}
}

func TestStatementNamesTheReleases(t *testing.T) {
	signer, _ := keyFromSeed(t, 1)
	want := map[Type][]string{
		ReleaseDecision: {"release:myapp-v2.3.1"},
		Deployment:      {"release:myapp-v2.3.1"},
		Rollback:        {"release:myapp-v2.3.1", "release:myapp-v2.3.2"},
		ABPromotion:     {"release:myapp-v2.3.0", "release:myapp-v2.3.1"},
	}
	for _, typ := range Types() {
		st := statementOf(t, seal(t, fixtureDraft(typ), signer))
		var names []string
		for _, s := range st.Subject {
			names = append(names, s.Name)
			if len(s.Digest["sha256"]) != 64 {
				t.Errorf("%s: subject digest %v is not a bare sha256 DigestSet", typ, s.Digest)
			}
		}
		if !reflect.DeepEqual(names, want[typ]) || st.Type != attest.StatementType ||
			st.PredicateType != "https://stella-ops.org/evidence/"+string(typ)+"/v1" {
			t.Errorf("%s: statement %s %v", typ, st.PredicateType, names)
		}
	}
}

// Acceptance 14: the signature verifies with standard DSSE tooling.
func TestSignatureIsStandardDSSE(t *testing.T) {
	signer, v := keyFromSeed(t, 1)
	p := seal(t, fixtureDraft(Deployment), signer)
	payload, _ := base64.StdEncoding.DecodeString(p.Envelope.Payload)
	sig, _ := base64.StdEncoding.DecodeString(p.Envelope.Signatures[0].Sig)
	if !ed25519.Verify(v.Public().(ed25519.PublicKey), dsse.PAE(attest.PayloadType, payload), sig) {
		t.Fatal("signature does not verify over PAE(payloadType, payload)")
	}
	if p.KeyID != v.KeyID() || p.Algorithm != attest.Ed25519 || p.Envelope.Signatures[0].KeyID != v.KeyID() {
		t.Fatalf("key %s %s", p.KeyID, p.Algorithm)
	}
}

// editContent re-encodes a packet with its signed content edited: the
// signature no longer covers it and its hash no longer matches.
func editContent(t *testing.T, p *Packet, from, to string) []byte {
	t.Helper()
	payload, _ := base64.StdEncoding.DecodeString(p.Envelope.Payload)
	if !bytes.Contains(payload, []byte(from)) {
		t.Fatalf("payload lacks %s", from)
	}
	c := *p
	env := *p.Envelope
	env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(from), []byte(to), 1))
	c.Envelope = &env
	return canonical(t, &c)
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	signer, mine := keyFromSeed(t, 1)
	otherSigner, other := keyFromSeed(t, 2)
	p := seal(t, fixtureDraft(Rollback), signer)
	good := canonical(t, p)

	info, err := Verify(ctx, good, trustOf(mine))
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentHash != p.ContentHash || info.Type != Rollback || len(info.Subjects) != 2 ||
		!reflect.DeepEqual(info.KeyIDs, []string{mine.KeyID()}) || info.Content.Previous.Release.Name != "myapp-v2.3.2" {
		t.Fatalf("info = %+v", info)
	}
	// A pretty-printed packet is the same packet.
	var pretty bytes.Buffer
	json.Indent(&pretty, good, "", "  ")
	if _, err := Verify(ctx, pretty.Bytes(), trustOf(mine)); err != nil {
		t.Fatalf("pretty packet: %v", err)
	}
	// So is the bare envelope.
	envRaw, _ := json.Marshal(p.Envelope)
	if info, err := Verify(ctx, envRaw, trustOf(mine)); err != nil || info.Packet != nil || info.ContentHash != p.ContentHash {
		t.Fatalf("bare envelope: %+v, %v", info, err)
	}

	withField := func(edit func(*Packet)) []byte {
		c := *p
		edit(&c)
		return canonical(t, &c)
	}
	otherKey := seal(t, fixtureDraft(Rollback), otherSigner)
	cases := map[string]struct {
		raw   []byte
		trust attest.Trust
		want  error
	}{
		"one byte of the content":    {editContent(t, p, `"reason":"health check failed on prod-b"`, `"reason":"health check failed on prod-c"`), trustOf(mine), ErrHash},
		"the content hash":           {withField(func(c *Packet) { c.ContentHash = dg(99) }), trustOf(mine), ErrHash},
		"the packet type":            {withField(func(c *Packet) { c.Type = Deployment }), trustOf(mine), ErrHash},
		"another key signed it":      {canonical(t, otherKey), trustOf(mine), ErrSignature},
		"no trusted key":             {good, attest.Trust{}, ErrSignature},
		"a subject, content kept":    {editContent(t, p, `"name":"release:myapp-v2.3.2"`, `"name":"release:myapp-v9.9.9"`), trustOf(mine), ErrSignature},
		"key id of another trusted":  {withField(func(c *Packet) { c.KeyID = other.KeyID() }), trustOf(mine, other), ErrSignature},
		"algorithm claimed":          {withField(func(c *Packet) { c.Algorithm = attest.ECDSAP256 }), trustOf(mine), ErrSignature},
		"bare envelope, edited":      {mustJSON(t, mustParse(t, editContent(t, p, `"strategy":"rolling"`, `"strategy":"recreate"`)).Envelope), trustOf(mine), ErrSignature},
		"not JSON":                   {[]byte("nope"), trustOf(mine), ErrInvalid},
		"neither packet nor DSSE":    {[]byte(`{"id":"x"}`), trustOf(mine), ErrInvalid},
		"unknown field":              {bytes.Replace(good, []byte(`{"algorithm"`), []byte(`{"extra":1,"algorithm"`), 1), trustOf(mine), ErrInvalid},
		"duplicate key":              {bytes.Replace(good, []byte(`{"algorithm"`), []byte(`{"type":"deployment","algorithm"`), 1), trustOf(mine), ErrInvalid},
		"payload not base64 content": {withField(func(c *Packet) { e := *c.Envelope; e.Payload = "e30="; c.Envelope = &e }), trustOf(mine), ErrHash},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			info, err := Verify(ctx, c.raw, c.trust)
			if !errors.Is(err, c.want) || info != nil {
				t.Fatalf("Verify = %v, %v; want %v", info, err, c.want)
			}
		})
	}
}

func mustParse(t *testing.T, raw []byte) *Packet {
	t.Helper()
	p, err := ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInspectReadsWithoutTrust(t *testing.T) {
	signer, v := keyFromSeed(t, 1)
	p := seal(t, fixtureDraft(ABPromotion), signer)
	info, err := Inspect(canonical(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if info.Packet.ID != p.ID || info.ContentHash != p.ContentHash || !reflect.DeepEqual(info.KeyIDs, []string{v.KeyID()}) ||
		info.Content.Previous.Release.Name != "myapp-v2.3.0" {
		t.Fatalf("info = %+v", info)
	}
}

func TestSealRefusesIncompleteContent(t *testing.T) {
	signer, _ := keyFromSeed(t, 1)
	cases := map[string]struct {
		typ  Type
		edit func(*Draft)
	}{
		"deployment without how":       {Deployment, func(d *Draft) { d.Content.How = nil }},
		"decision with how":            {ReleaseDecision, func(d *Draft) { d.Content.How = fixtureContent(Deployment).How }},
		"rollback without previous":    {Rollback, func(d *Draft) { d.Content.Previous = nil }},
		"deployment with previous":     {Deployment, func(d *Draft) { d.Content.Previous = fixtureContent(Rollback).Previous }},
		"rollback to itself":           {Rollback, func(d *Draft) { d.Content.Previous.Release.Digest = d.Content.What.Release.Digest }},
		"decision without record":      {ReleaseDecision, func(d *Draft) { d.Content.Why.DecisionRecordDigest = "" }},
		"tag instead of digest":        {Deployment, func(d *Draft) { d.Content.What.Release.Components[0].Digest = "v2.3.1" }},
		"uppercase digest":             {Deployment, func(d *Draft) { d.Content.What.Release.Digest = strings.ToUpper(dg(1)) }},
		"duplicate component":          {Deployment, func(d *Draft) { d.Content.What.Release.Components[1].Name = "worker" }},
		"duplicate gate":               {ReleaseDecision, func(d *Draft) { d.Content.Why.Gates[1].ID = "security" }},
		"approval without action":      {Deployment, func(d *Draft) { d.Content.Who.Approvers[0].Action = "" }},
		"no requester":                 {Deployment, func(d *Draft) { d.Content.Who.Requester.ID = "" }},
		"unknown type":                 {Deployment, func(d *Draft) { d.Type = "canary" }},
		"id unfit for a file name":     {Deployment, func(d *Draft) { d.ID = "../x" }},
		"no creation time":             {Deployment, func(d *Draft) { d.CreatedAt = time.Time{} }},
		"no tenant":                    {Deployment, func(d *Draft) { d.TenantID = "" }},
		"no generator version":         {Deployment, func(d *Draft) { d.GeneratorVersion = "" }},
		"artifact with a bad hash":     {Deployment, func(d *Draft) { d.Content.How.Artifacts[0].ContentHash = "md5:x" }},
		"target without a type":        {Deployment, func(d *Draft) { d.Content.Where.Targets[0].Type = "" }},
		"environment without a name":   {Deployment, func(d *Draft) { d.Content.Where.Environment.Name = "" }},
		"no decision":                  {Rollback, func(d *Draft) { d.Content.Why.Decision = "" }},
		"how without a deployment job": {Rollback, func(d *Draft) { d.Content.How.DeploymentJobID = "" }},
		"previous without a digest":    {ABPromotion, func(d *Draft) { d.Content.Previous.Release.Digest = "" }},
		"logs digest not a digest":     {Deployment, func(d *Draft) { d.Content.How.LogsDigest = "logs" }},
		"inputs hash not a digest":     {ReleaseDecision, func(d *Draft) { d.Content.Why.InputsHash = "x" }},
		"unknown outcome":              {Deployment, func(d *Draft) { d.Content.How.Outcome = "partial" }},
		"failed without a failure":     {Deployment, func(d *Draft) { d.Content.How.Outcome = OutcomeFailed }},
		"failure of a success":         {Deployment, func(d *Draft) { d.Content.How.Failure = &Failure{Code: "X"} }},
		"failure without a code":       {Deployment, func(d *Draft) { d.Content.How.Outcome, d.Content.How.Failure = OutcomeFailed, &Failure{} }},
		"release without an id":        {ReleaseDecision, func(d *Draft) { d.Content.What.Release.ID = "" }},
		"component without repository": {ReleaseDecision, func(d *Draft) { d.Content.What.Release.Components[0].Repository = "" }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := fixtureDraft(c.typ)
			d.Content = fixtureContent(c.typ) // a fresh copy to edit
			c.edit(&d)
			if p, err := Seal(context.Background(), d, signer); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Seal = %v, %v; want ErrInvalid", p, err)
			}
		})
	}
}

// passGate is a gate that always passes.
type passGate struct{ id string }

func (g passGate) ID() string   { return g.id }
func (g passGate) Type() string { return "manual" }
func (g passGate) Evaluate(context.Context, *gate.Input) (gate.Result, error) {
	return gate.Result{Status: gate.StatusPass, ReasonCodes: []string{"manual.approved"}, Message: "approved by hand"}, nil
}

func decision(t testing.TB) *gate.Decision {
	t.Helper()
	ctx := context.Background()
	eng, err := gate.NewEngine(ctx, gate.WithConfig(gate.Config{}), gate.WithGates(passGate{"release-manager"}), gate.WithEngineVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(ctx, &gate.Input{
		Schema: gate.InputSchema, Phase: gate.PhasePreDeploy, ClockCutoff: *at(10, 6, 0),
		Release:     gate.Release{ID: "rel-231", Name: "myapp-v2.3.1", Digest: dg(1)},
		Environment: gate.Environment{ID: "env-prod", Name: "prod", Tier: "production"},
	}, gate.DecideMeta{Tenant: "acme", PromotionID: "prom-1", Inputs: gate.InputDigests{SBOMDigests: []string{dg(30)}, AdvisorySnapshotID: dg(31)}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWhyFromDecision(t *testing.T) {
	d := decision(t)
	why, err := WhyFrom(d)
	if err != nil {
		t.Fatal(err)
	}
	if why.Decision != string(d.Decision) || why.Phase != "pre-deploy" || why.DecisionRecordDigest != d.RecordDigest ||
		why.InputsHash != d.InputsHash || len(why.Gates) != len(d.Gates) || len(why.Gates) == 0 {
		t.Fatalf("why = %+v from %+v", why, d)
	}
	g := why.Gates[slicesIndex(why.Gates, "release-manager")]
	if g.Type != "manual" || g.Status != "pass" || g.Message != "approved by hand" {
		t.Fatalf("gate = %+v", g)
	}
	draft := fixtureDraft(ReleaseDecision)
	draft.Content.Why = why
	signer, v := keyFromSeed(t, 1)
	if _, err := Verify(context.Background(), canonical(t, seal(t, draft, signer)), trustOf(v)); err != nil {
		t.Fatal(err)
	}
	edited := *d
	edited.Decision = gate.Deny
	if _, err := WhyFrom(&edited); !errors.Is(err, ErrInvalid) {
		t.Fatalf("edited record: %v, want ErrInvalid", err)
	}
}

func slicesIndex(gs []Gate, id string) int {
	for i, g := range gs {
		if g.ID == id {
			return i
		}
	}
	return -1
}

func FuzzParsePacket(f *testing.F) {
	signer, v := keyFromSeed(f, 1)
	for _, typ := range Types() {
		f.Add(canonical(f, seal(f, fixtureDraft(typ), signer)))
	}
	env, _ := json.Marshal(seal(f, fixtureDraft(Deployment), signer).Envelope)
	f.Add(env)
	f.Add([]byte(`{"envelope":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParsePacket(raw)
		if (p == nil) == (err == nil) {
			t.Fatalf("ParsePacket = %v, %v", p, err)
		}
		info, err := Inspect(raw)
		if (info == nil) == (err == nil) {
			t.Fatalf("Inspect = %v, %v", info, err)
		}
		info, err = Verify(context.Background(), raw, trustOf(v))
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrHash) && !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify error %v has no class", err)
		}
		if err == nil && info.ContentHash != canon.SHA256(mustCanonContent(t, info)) {
			t.Fatal("verified content does not hash to its content hash")
		}
	})
}

func mustCanonContent(t *testing.T, info *Info) []byte {
	b, err := canon.Marshal(info.Content)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
