package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/internal/archive"
)

// The evidence commands that read from a server; verify and show work offline.

func newEvidenceKeyCmd(g *globals) *cobra.Command {
	var file string
	var force bool
	cmd := &cobra.Command{
		Use:   "key [-f evidence.pub]",
		Short: "Fetch the server's public evidence key (PEM), for stella evidence verify --key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				EvidenceKey struct {
					KeyID        string `json:"keyId"`
					Algorithm    string `json:"algorithm"`
					PublicKeyPem string `json:"publicKeyPem"`
				} `json:"evidenceKey"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), `{ evidenceKey { keyId algorithm publicKeyPem } }`, nil, &out); err != nil {
				return err
			}
			k := out.EvidenceKey
			if file != "" {
				if err := saveFile(file, strings.NewReader(k.PublicKeyPem), force); err != nil {
					return err
				}
			}
			switch {
			case g.output == "json":
				return printJSON(cmd, k)
			case file == "":
				_, err := io.WriteString(cmd.OutOrStdout(), k.PublicKeyPem)
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s key %s\n", file, k.Algorithm, k.KeyID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write the PEM to this file (default: print it)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

const packetFields = `id type contentHash keyId createdAt`

func newEvidenceListCmd(g *globals) *cobra.Command {
	var save string
	var force bool
	cmd := &cobra.Command{
		Use:   "list PROMOTION [--save DIR]",
		Short: "List a promotion's evidence packets; --save writes each to DIR/<id>.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fields := packetFields
			if save != "" {
				fields += " packet"
			}
			var out struct {
				Promotion *struct {
					Evidence []map[string]any `json:"evidence"`
				} `json:"promotion"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), `query($id: ID!) { promotion(id: $id) { evidence { `+fields+` } } }`,
				map[string]any{"id": args[0]}, &out); err != nil {
				return err
			}
			if out.Promotion == nil {
				return withCode(ExitUsage, "NOT_FOUND: promotion %q not found", args[0])
			}
			packets := out.Promotion.Evidence
			for _, p := range packets {
				raw, _ := p["packet"].(string)
				delete(p, "packet")
				if save == "" {
					continue
				}
				pkt, err := evidence.ParsePacket([]byte(raw)) // the id names the file: check it first
				if err != nil {
					return withCode(ExitIntegrity, "the server sent a packet that does not parse: %v", err)
				}
				file := filepath.Join(save, pkt.ID+".json")
				if err := saveFile(file, strings.NewReader(raw), force); err != nil {
					return err
				}
				p["file"] = file
			}
			if g.output == "json" {
				return printJSON(cmd, packets)
			}
			cols := []column{{"ID", "id"}, {"TYPE", "type"}, {"CONTENT HASH", "contentHash"}, {"KEY ID", "keyId"}, {"CREATED", "createdAt"}}
			if save != "" {
				cols = append(cols, column{"FILE", "file"})
			}
			return printTable(cmd, packets, cols)
		},
	}
	cmd.Flags().StringVar(&save, "save", "", "write each packet to DIR/<id>.json (the directory must exist)")
	cmd.Flags().BoolVar(&force, "force", false, "with --save, overwrite existing files")
	return cmd
}

func newEvidenceGetCmd(g *globals) *cobra.Command {
	var file string
	var force bool
	cmd := &cobra.Command{
		Use:   "get PACKET_ID [-f packet.json]",
		Short: "Fetch one evidence packet as canonical JSON, the file stella evidence verify reads",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				EvidencePacket *struct {
					Packet string `json:"packet"`
				} `json:"evidencePacket"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), `query($id: ID!) { evidencePacket(id: $id) { packet } }`,
				map[string]any{"id": args[0]}, &out); err != nil {
				return err
			}
			if out.EvidencePacket == nil {
				return withCode(ExitUsage, "NOT_FOUND: evidence packet %q not found", args[0])
			}
			raw := out.EvidencePacket.Packet
			if file == "" {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), raw)
				return err
			}
			if err := saveFile(file, strings.NewReader(raw), force); err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd, map[string]any{"file": file, "id": args[0], "size": len(raw)})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes)\n", file, len(raw))
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write the packet to this file (default: print it)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

func newEvidenceExportCmd(g *globals) *cobra.Command {
	var file string
	var force bool
	cmd := &cobra.Command{
		Use:   "export PROMOTION -f pack.tar.gz",
		Short: "Download a promotion's signed audit pack (packets, decision records, SBOMs, VEX, exceptions, policy)",
		Long: `Download a promotion's audit pack: a deterministic tar.gz the server signs with its
evidence key. Verify it offline with stella evidence verify pack.tar.gz --key evidence.pub.
An existing file is kept unless --force; the pack is written to a temporary file and
renamed, so a failed download leaves nothing behind.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				if _, err := os.Lstat(file); err == nil {
					return withCode(ExitUsage, "%s exists: use --force to overwrite it", file)
				}
			}
			c := newClient(g.server, g.token)
			body, err := c.get(cmd.Context(), "/v1/promotions/"+url.PathEscape(args[0])+"/evidence-pack")
			if err != nil {
				return err
			}
			defer body.Close()
			h := sha256.New()
			cw := &countingWriter{}
			if err := saveFile(file, io.TeeReader(body, io.MultiWriter(h, cw)), force); err != nil {
				return err
			}
			sum := "sha256:" + hex.EncodeToString(h.Sum(nil))
			digest, entries, err := packManifest(file)
			if err != nil {
				return withCode(ExitIntegrity, "%s: %v", file, err)
			}
			if g.output == "json" {
				return printJSON(cmd, map[string]any{"file": file, "sha256": sum, "size": cw.n,
					"manifestDigest": digest, "entries": entries})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d bytes, %d entries, manifest %s\n", file, cw.n, entries, digest)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the file to write the pack to (required)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// packManifest reads the manifest of a pack (unverified: verify checks it)
// and returns its digest and number of entries.
func packManifest(file string) (string, int, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	ar, err := archive.NewReader(bufio.NewReader(f), evidence.MaxPackSize)
	if err != nil {
		return "", 0, err
	}
	for {
		name, size, err := ar.Next()
		if err != nil {
			return "", 0, fmt.Errorf("no %s: %v", evidence.ManifestPath, err)
		}
		if name != evidence.ManifestPath {
			continue
		}
		mb := make([]byte, size)
		if _, err := io.ReadFull(ar, mb); err != nil {
			return "", 0, err
		}
		var m evidence.Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return "", 0, err
		}
		sum := sha256.Sum256(mb)
		return "sha256:" + hex.EncodeToString(sum[:]), len(m.Entries), nil
	}
}

// get fetches a path of the server's REST routes; errors come in the
// GraphQL error shape and map to exit codes like GraphQL errors.
func (c *client) get(ctx context.Context, path string) (io.ReadCloser, error) {
	base := strings.TrimSuffix(c.endpoint, "/graphql")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return nil, withCode(ExitUsage, "server URL: %v", err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, withCode(ExitInternal, "cannot reach the Stella server at %s: %v", base, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var r struct {
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(raw, &r) != nil || len(r.Errors) == 0 {
		return nil, withCode(ExitInternal, "server answered %s: %.200s", resp.Status, raw)
	}
	e := r.Errors[0]
	return nil, withCode(codeFor(e.Extensions.Code), "%s: %s", e.Extensions.Code, e.Message)
}

// saveFile writes r to path through a temporary file in the same
// directory and a rename, so path never holds half a file. Without force
// an existing path is refused (exit 2) and left alone.
func saveFile(path string, r io.Reader, force bool) error {
	if path == "" {
		return withCode(ExitUsage, "no file given")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".stella-evidence-*")
	if err != nil {
		return withCode(ExitUsage, "%v", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if _, err := io.Copy(w, r); err != nil {
		tmp.Close()
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return withCode(ExitInternal, "write %s: %v", path, err)
	}
	if err := errors.Join(w.Flush(), tmp.Chmod(0o644), tmp.Sync(), tmp.Close()); err != nil {
		return withCode(ExitInternal, "write %s: %v", path, err)
	}
	if force {
		return os.Rename(tmp.Name(), path)
	}
	// A hard link does not replace an existing file, so a file created
	// since the caller looked is kept too.
	err = os.Link(tmp.Name(), path)
	if err != nil && !errors.Is(err, os.ErrExist) { // no hard links here: look, then rename
		if _, serr := os.Lstat(path); serr != nil {
			return os.Rename(tmp.Name(), path)
		}
		err = os.ErrExist
	}
	if errors.Is(err, os.ErrExist) {
		return withCode(ExitUsage, "%s exists: use --force to overwrite it", path)
	}
	return err
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
