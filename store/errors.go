package store

import (
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stella-ops/stella/fault"
)

// ref names the object a statement reads or writes, so that driver errors
// can be turned into package fault's typed errors.
type ref struct {
	kind, key string
	// clash says what a unique clash on a column means, e.g.
	// "order_index" → "orderIndex 2 is already used"; the default is
	// "<column> already exists".
	clash map[string]string
	// missing is returned when a foreign key the write depends on does not
	// exist (the object refers to something that is not there).
	missing error
	// inUse is returned when a delete is refused because rows still refer to
	// the object; the default is a conflict saying so.
	inUse error
}

func (r ref) notFound() error { return &fault.NotFoundError{Kind: r.kind, Key: r.key} }

func (r ref) conflict(reason string) error {
	return &fault.ConflictError{Kind: r.kind, Key: r.key, Reason: reason}
}

// mapErr turns "no rows" into *fault.NotFoundError, unique clashes into
// *fault.ConflictError and foreign-key failures into the ref's missing or
// in-use error. Other errors pass through unchanged.
func mapErr(err error, r ref) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return r.notFound()
	}
	if col, ok := uniqueViolation(err); ok {
		if reason, ok := r.clash[col]; ok {
			return r.conflict(reason)
		}
		return r.conflict(col + " already exists")
	}
	if foreignKeyViolation(err) {
		if r.missing != nil {
			return r.missing
		}
		if r.inUse != nil {
			return r.inUse
		}
		return r.conflict("is still referred to by other objects")
	}
	return err
}

// pgKeyColumns reads "Key (tenant_id, name)=(acme, prod) already exists." from
// a PostgreSQL unique violation's detail.
var pgKeyColumns = regexp.MustCompile(`^Key \(([^)]*)\)=`)

// uniqueViolation reports whether err is a unique-key clash, and the column
// that tells the clashing keys apart (the last one of the key: every per-tenant
// key starts with tenant_id).
func uniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code != "23505" {
			return "", false
		}
		cols := pgErr.ConstraintName
		if m := pgKeyColumns.FindStringSubmatch(pgErr.Detail); m != nil {
			cols = m[1]
		}
		return lastColumn(cols), true
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// "UNIQUE constraint failed: environments.tenant_id, environments.name (2067)"
			msg := liteErr.Error()
			if i := strings.Index(msg, "failed: "); i >= 0 {
				msg = msg[i+len("failed: "):]
			}
			msg, _, _ = strings.Cut(msg, " (")
			return lastColumn(msg), true
		}
	}
	return "", false
}

func lastColumn(cols string) string {
	parts := strings.Split(cols, ",")
	col := strings.TrimSpace(parts[len(parts)-1])
	if i := strings.LastIndexByte(col, '.'); i >= 0 {
		col = col[i+1:]
	}
	return strings.Trim(col, `"`)
}

func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
