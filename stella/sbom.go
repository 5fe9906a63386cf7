package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/sbom/syft"
)

func newSBOMCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sbom", Short: "Generate, compare, attest and verify SBOMs (no server needed)"}
	cmd.AddCommand(newSBOMGenerateCmd(), newSBOMDiffCmd(g), newSBOMAttestCmd(), newSBOMVerifyCmd(g))
	return cmd
}

func newSBOMGenerateCmd() *cobra.Command {
	var format, out, ts, platform, subject string
	var verify bool
	cmd := &cobra.Command{
		Use:   "generate SOURCE",
		Short: "Generate a deterministic SBOM of an image, directory or file",
		Long: `Generate a deterministic SBOM. SOURCE is a path (directory or file) or one of
dir:PATH, file:PATH, oci-dir:PATH, oci-archive:PATH, docker-archive:PATH,
registry:REF (pulled; the tag is resolved to a digest at once) or docker:REF
(the local Docker daemon).

The timestamp is the image's created time, or --timestamp, or SOURCE_DATE_EPOCH,
or 1970-01-01T00:00:00Z: never the clock. --verify-determinism generates twice
and exits 10 if the bytes differ.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := codec.ParseFormat(format)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			src, err := parseSource(args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			opts, err := generateOptions(cmd, ts, platform)
			if err != nil {
				return err
			}
			if subject != "" {
				opts = append(opts, sbom.WithSubjectName(subject))
			}
			first, err := generate(cmd.Context(), src, f, opts)
			if err != nil {
				return err
			}
			if verify {
				second, err := generate(cmd.Context(), src, f, opts)
				if err != nil {
					return err
				}
				if !bytes.Equal(first, second) {
					return withCode(ExitMismatch, "determinism check failed: two generations of %s differ (%s vs %s)", args[0], sha(first), sha(second))
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "determinism verified: %s\n", sha(first))
			}
			return writeOutput(cmd, out, first)
		},
	}
	cmd.Flags().StringVar(&format, "format", string(codec.CycloneDXJSON17), "cyclonedx-json@1.7, cyclonedx-json@1.6, spdx-json@2.3 or spdx-json@3.0.1")
	cmd.Flags().StringVarP(&out, "file", "f", "", "write to this file instead of standard output")
	cmd.Flags().StringVar(&ts, "timestamp", "", "document timestamp (RFC 3339)")
	cmd.Flags().StringVar(&platform, "platform", "linux/amd64", "platform to pick from a multi-platform image")
	cmd.Flags().StringVar(&subject, "name", "", "name of what is scanned (default: the image name, or \".\" for a directory)")
	cmd.Flags().BoolVar(&verify, "verify-determinism", false, "generate twice and fail (exit 10) if the outputs differ")
	return cmd
}

// generateOptions builds the generator's options; progress goes to a terminal only.
func generateOptions(cmd *cobra.Command, ts, platform string) ([]sbom.Option, error) {
	cat, err := syft.New()
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	opts := []sbom.Option{sbom.WithCataloger(cat), sbom.WithPlatform(platform), sbom.WithToolVersion(version)}
	switch {
	case ts != "":
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return nil, withCode(ExitUsage, "--timestamp %q is not RFC 3339", ts)
		}
		opts = append(opts, sbom.WithTimestamp(t))
	case os.Getenv("SOURCE_DATE_EPOCH") != "":
		var sec int64
		if _, err := fmt.Sscan(os.Getenv("SOURCE_DATE_EPOCH"), &sec); err != nil {
			return nil, withCode(ExitUsage, "SOURCE_DATE_EPOCH %q is not a number of seconds", os.Getenv("SOURCE_DATE_EPOCH"))
		}
		opts = append(opts, sbom.WithTimestamp(time.Unix(sec, 0)))
	}
	if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts = append(opts, sbom.WithProgress(func(stage string, done, total int) {
			fmt.Fprintf(f, "\r\033[K%s %d/%d", stage, done, total)
			if done == total {
				fmt.Fprintln(f)
			}
		}))
	}
	return opts, nil
}

func generate(ctx context.Context, src sbom.Source, f codec.Format, opts []sbom.Option) ([]byte, error) {
	doc, err := sbom.Generate(ctx, src, opts...)
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	var buf bytes.Buffer
	if err := codec.Encode(&buf, doc, f); err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	return buf.Bytes(), nil
}

func writeOutput(cmd *cobra.Command, path string, b []byte) error {
	if path == "" {
		_, err := cmd.OutOrStdout().Write(b)
		return err
	}
	// Write beside the target and rename, so a failed run leaves no half file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return withCode(ExitUsage, "%v", err)
	}
	return os.Rename(tmp, path)
}

func sha(b []byte) string { return canon.SHA256(b) }

// readSBOM decodes an SBOM file in any supported format.
func readSBOM(path string) (*sbom.Document, []byte, codec.Format, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, "", withCode(ExitUsage, "%v", err)
	}
	doc, f, err := codec.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, "", withCode(ExitUsage, "%s: %v", path, err)
	}
	return doc, raw, f, nil
}

func newSBOMDiffCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two SBOM files: added, removed and changed packages, with the layer of each change",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldDoc, _, _, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			newDoc, _, _, err := readSBOM(args[1])
			if err != nil {
				return err
			}
			d := sbom.Diff(oldDoc, newDoc)
			if g.output == "json" {
				return printJSON(cmd, d)
			}
			var rows []map[string]any
			raw, _ := json.Marshal(d.Changes)
			_ = json.Unmarshal(raw, &rows)
			fmt.Fprintf(cmd.OutOrStdout(), "%d change(s); layers: %d added, %d removed, %d shared\n", len(d.Changes), len(d.AddedLayers), len(d.RemovedLayers), len(d.SharedLayers))
			return printTable(cmd, rows, []column{{"KIND", "kind"}, {"PACKAGE", "key"}, {"FROM", "from"}, {"TO", "to"}, {"LAYER", "layer"}})
		},
	}
}

func newSBOMAttestCmd() *cobra.Command {
	var key, subject, out string
	cmd := &cobra.Command{
		Use:   "attest SBOM --key KEY.pem --subject NAME@sha256:DIGEST",
		Short: "Sign an SBOM as a DSSE envelope over an in-toto statement about the image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, raw, f, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			name, digest, ok := cutDigest(subject)
			if !ok {
				return withCode(ExitUsage, "--subject %q: want NAME@sha256:<64 hex>", subject)
			}
			signer, err := attest.LoadSigner(key)
			if err != nil {
				return withCode(ExitTrust, "%v", err)
			}
			st, err := sbom.Statement(raw, string(f), name, digest)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			env, err := attest.Sign(cmd.Context(), st, signer)
			if err != nil {
				return withCode(ExitTrust, "%v", err)
			}
			b, err := json.MarshalIndent(env, "", "  ")
			if err != nil {
				return err
			}
			return writeOutput(cmd, out, append(b, '\n'))
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "PEM private key (ECDSA P-256 or ed25519)")
	cmd.Flags().StringVar(&subject, "subject", "", "the image the SBOM describes, NAME@sha256:DIGEST")
	cmd.Flags().StringVarP(&out, "file", "f", "", "write the envelope to this file instead of standard output")
	_ = cmd.MarkFlagRequired("key")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}

func newSBOMVerifyCmd(g *globals) *cobra.Command {
	var key, sbomFile string
	cmd := &cobra.Command{
		Use:   "verify ENVELOPE --key KEY.pub [--sbom FILE]",
		Short: "Verify an SBOM attestation; with --sbom, check that it attests that file's content",
		Long:  "Verify an SBOM attestation. Exits 4 when the signature does not verify with the key,\nand 3 when --sbom is given and its content digest differs from the attested SBOM's.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			env, err := attest.ParseEnvelope(raw)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			v, err := attest.LoadVerifier(key)
			if err != nil {
				return withCode(ExitTrust, "%v", err)
			}
			st, keys, err := attest.Verify(cmd.Context(), env, attest.Trust{Verifiers: []attest.Verifier{v}})
			if err != nil {
				return withCode(ExitTrust, "%v", err)
			}
			attested, err := sbom.ContentDigest(st.Predicate)
			if err != nil {
				return withCode(ExitIntegrity, "the attested predicate is not an SBOM: %v", err)
			}
			if sbomFile != "" {
				fileRaw, err := os.ReadFile(sbomFile)
				if err != nil {
					return withCode(ExitUsage, "%v", err)
				}
				got, err := sbom.ContentDigest(fileRaw)
				if err != nil {
					return withCode(ExitUsage, "%s: %v", sbomFile, err)
				}
				if got != attested {
					return withCode(ExitIntegrity, "%s has content digest %s, but the attestation is for %s", sbomFile, got, attested)
				}
			}
			res := map[string]any{"verified": true, "keyIds": keys, "predicateType": st.PredicateType, "subject": st.Subject, "sbomContentDigest": attested}
			if g.output == "json" {
				return printJSON(cmd, res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "verified: %s about %s@sha256:%s by %v\nSBOM content digest: %s\n", st.PredicateType, st.Subject[0].Name, st.Subject[0].Digest["sha256"], keys, attested)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "PEM public key")
	cmd.Flags().StringVar(&sbomFile, "sbom", "", "an SBOM file that must match the attested one")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

func cutDigest(ref string) (name, digest string, ok bool) {
	i := bytes.LastIndexByte([]byte(ref), '@')
	if i <= 0 {
		return "", "", false
	}
	name, digest = ref[:i], ref[i+1:]
	_, err := attest.SubjectFromDigest(name, digest)
	return name, digest, err == nil
}
