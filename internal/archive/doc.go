// Package archive writes and reads the deterministic tar.gz archives of
// offline.md §3 (mirror bundles, evidence packs, offline kits): sorted
// regular files, 0644, owned by 0:0, mtime 0, a gzip header without name or
// time. Readers refuse anything unsafe before a byte of it is used.
//
//	err := archive.Write(w, map[string][]byte{"manifest.json": mb})
//	files, err := archive.ReadAll(r, limit)
package archive
