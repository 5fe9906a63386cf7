package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
)

const evidenceExitCodes = `Exit codes:
  0    verified
  1    unexpected error
  2    usage error, unreadable input, or not an evidence packet, envelope or audit pack
  3    integrity failure: the content does not hash to the packet's contentHash, or an
       audit pack entry is missing, unlisted, truncated or differs from the manifest
  4    signature failure: not signed by a --key given, or the packet names another key
       or algorithm than the one that verified
  11   an audit pack's signed manifest is not a valid manifest document`

func newEvidenceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "evidence", Short: "Fetch evidence packets, the evidence key and audit packs; verify and show them offline"}
	cmd.AddCommand(newEvidenceVerifyCmd(g), newEvidenceShowCmd(g))
	cmd.AddCommand(newEvidenceKeyCmd(g), newEvidenceListCmd(g), newEvidenceGetCmd(g), newEvidenceExportCmd(g))
	return cmd
}

func newEvidenceVerifyCmd(g *globals) *cobra.Command {
	var keys []string
	cmd := &cobra.Command{
		Use:   "verify FILE --key KEY.pub",
		Short: "Verify an evidence packet (JSON, or its bare DSSE envelope) or an audit pack (.tar.gz)",
		Long: `Verify an evidence packet or an audit pack offline, with the public keys given.

For a packet the content hash is recomputed first: tampered content exits 3 even
though its signature no longer verifies; then the DSSE signature must verify with a
--key, and the key id and algorithm the packet names must be that key's. An audit
pack's manifest signature is checked before anything else is read; then every entry
is read up to the size the signed manifest gives it and hashed, and every packet in
it verified the same way.

` + evidenceExitCodes,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trust, err := loadTrust(keys)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			defer f.Close()
			br := bufio.NewReader(f)
			if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
				pack, err := evidence.VerifyPack(cmd.Context(), br, trust)
				if err != nil {
					return evidenceErr(err)
				}
				return printPack(cmd, g, pack)
			}
			raw, err := io.ReadAll(br)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			info, err := evidence.Verify(cmd.Context(), raw, trust)
			if err != nil {
				return evidenceErr(err)
			}
			if g.output == "json" {
				return printJSON(cmd, map[string]any{"verified": true, "type": info.Type, "subjects": info.Subjects,
					"contentHash": info.ContentHash, "keyIds": info.KeyIDs})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "verified: %s packet about %s\ncontent hash: %s\nsigned by: %s\n",
				info.Type, subjectList(info.Subjects), info.ContentHash, strings.Join(info.KeyIDs, ", "))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "PEM public key to trust (repeatable)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

func newEvidenceShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show FILE",
		Short: "Print an evidence packet: type, subjects, content hash, key and content (nothing is verified)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
				return withCode(ExitUsage, "%s is an audit pack: stella evidence verify lists its packets", args[0])
			}
			info, err := evidence.Inspect(raw)
			if err != nil {
				return evidenceErr(err)
			}
			v := showView{Type: info.Type, Subjects: info.Subjects, ContentHash: info.ContentHash, KeyIDs: info.KeyIDs, Content: info.Content}
			if p := info.Packet; p != nil {
				v.ID, v.TenantID, v.PromotionID, v.Algorithm, v.GeneratorVersion = p.ID, p.TenantID, p.PromotionID, p.Algorithm, p.GeneratorVersion
				v.KeyIDs, v.CreatedAt = []string{p.KeyID}, p.CreatedAt.Format("2006-01-02T15:04:05Z07:00")
				if p.ContentHash != info.ContentHash {
					v.ClaimedContentHash = p.ContentHash
				}
			}
			if g.output == "json" {
				return printJSON(cmd, v)
			}
			return printShow(cmd, v)
		},
	}
}

// showView is what show prints: the packet's fields and its decoded
// statement, without the envelope's base64.
type showView struct {
	ID                 string           `json:"id,omitempty"`
	TenantID           string           `json:"tenantId,omitempty"`
	PromotionID        string           `json:"promotionId,omitempty"`
	Type               evidence.Type    `json:"type"`
	Subjects           []attest.Subject `json:"subjects"`
	ContentHash        string           `json:"contentHash"`                  // recomputed from the content
	ClaimedContentHash string           `json:"claimedContentHash,omitempty"` // the packet's, when it differs
	KeyIDs             []string         `json:"keyIds"`
	Algorithm          string           `json:"algorithm,omitempty"`
	GeneratorVersion   string           `json:"generatorVersion,omitempty"`
	CreatedAt          string           `json:"createdAt,omitempty"`
	Content            evidence.Content `json:"content"`
}

func printShow(cmd *cobra.Command, v showView) error {
	w := cmd.OutOrStdout()
	line := func(k, val string) {
		if val != "" {
			fmt.Fprintf(w, "%-14s%s\n", k+":", val)
		}
	}
	line("type", string(v.Type))
	line("id", v.ID)
	line("tenant", v.TenantID)
	line("promotion", v.PromotionID)
	line("subjects", subjectList(v.Subjects))
	line("content hash", v.ContentHash)
	if v.ClaimedContentHash != "" {
		line("MISMATCH", "the packet says "+v.ClaimedContentHash)
	}
	line("key id", strings.Join(v.KeyIDs, ", "))
	line("algorithm", v.Algorithm)
	line("generator", v.GeneratorVersion)
	line("created", v.CreatedAt)
	content, err := json.MarshalIndent(v.Content, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "content:\n%s\nnot verified: run stella evidence verify FILE --key KEY.pub\n", content)
	return nil
}

func printPack(cmd *cobra.Command, g *globals, pack *evidence.Pack) error {
	if g.output == "json" {
		packets := make([]map[string]any, len(pack.Packets))
		for i, p := range pack.Packets {
			packets[i] = map[string]any{"id": p.Packet.ID, "type": p.Type, "subjects": p.Subjects, "contentHash": p.ContentHash, "keyIds": p.KeyIDs}
		}
		return printJSON(cmd, map[string]any{"verified": true, "manifestDigest": pack.ManifestDigest, "keyIds": pack.KeyIDs,
			"entries": pack.Manifest.Entries, "packets": packets})
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "verified: audit pack of %d files, manifest %s signed by %s\n", len(pack.Manifest.Entries), pack.ManifestDigest, strings.Join(pack.KeyIDs, ", "))
	for _, p := range pack.Packets {
		fmt.Fprintf(w, "  %s  %s  %s  %s\n", p.Packet.ID, p.Type, p.ContentHash, subjectList(p.Subjects))
	}
	return nil
}

func subjectList(ss []attest.Subject) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.Name + "@sha256:" + s.Digest["sha256"]
	}
	return strings.Join(parts, ", ")
}

func loadTrust(paths []string) (attest.Trust, error) {
	var trust attest.Trust
	for _, p := range paths {
		v, err := attest.LoadVerifier(p)
		if errors.Is(err, attest.ErrUnsupportedAlgorithm) {
			return trust, withCode(ExitTrust, "--key: %v", err)
		}
		if err != nil {
			return trust, withCode(ExitUsage, "--key: %v", err)
		}
		trust.Verifiers = append(trust.Verifiers, v)
	}
	return trust, nil
}

// evidenceErr maps evidence's errors onto the exit-code table.
func evidenceErr(err error) error {
	switch {
	case errors.Is(err, evidence.ErrHash):
		return withCode(ExitIntegrity, "%v", err)
	case errors.Is(err, evidence.ErrSignature):
		return withCode(ExitTrust, "%v", err)
	case errors.Is(err, evidence.ErrManifest):
		return withCode(ExitManifest, "%v", err)
	case errors.Is(err, evidence.ErrInvalid):
		return withCode(ExitUsage, "%v", err)
	}
	return withCode(ExitInternal, "%v", err)
}
