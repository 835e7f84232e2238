// Package adapters implements the auditlog context's storage on Postgres: the
// audit_entries table, written inside the consumer's inbox transaction and read by the
// queries.
package adapters

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pitstop/pitstop/auditlog/internal/application"
	"github.com/pitstop/pitstop/auditlog/internal/domain"
	"github.com/pitstop/pitstop/shared-go/postgres"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the auditlog tables in the pool's schema (the inbox and
// dead-letter tables are migrated separately by messaging.Migrate).
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgres.Migrate(ctx, pool, schema, "auditlog", postgres.MigrationsDir(migrations))
}

// EntryTxStore writes entries in one transaction (the consumer's). It implements
// application.EntryRecorder, is bound to that transaction and must not outlive it.
type EntryTxStore struct {
	tx pgx.Tx
}

var _ application.EntryRecorder = (*EntryTxStore)(nil)

// NewEntryTxStore returns a store writing in tx, whose search_path must be the auditlog
// schema (as pools from postgres.Connect are).
func NewEntryTxStore(tx pgx.Tx) *EntryTxStore { return &EntryTxStore{tx: tx} }

// Record inserts e unless its event id is stored already, and reports whether it did.
//
// Before inserting it locks the table against other writers until the transaction
// ends (readers are not blocked). seq values are assigned at insert time; without the
// lock two replicas could commit seq 11 before seq 10, and a reader paging past 11
// would never see 10. With it, entries become visible in seq order.
//
// Data Postgres refuses (for example a body holding \u0000, which jsonb cannot store)
// yields an error wrapping domain.ErrInvalidEntry; the transaction is then aborted.
func (r *EntryTxStore) Record(ctx context.Context, e domain.Entry) (bool, error) {
	if _, err := r.tx.Exec(ctx, `LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return false, fmt.Errorf("lock audit_entries: %w", err)
	}
	tag, err := r.tx.Exec(ctx, `INSERT INTO audit_entries (event_id, type, subject, source, actor, time, time_text, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
		e.EventID(), e.Type(), e.Subject(), e.Source(), e.Actor(), e.Time().Truncate(time.Microsecond),
		e.Time().Format(time.RFC3339Nano), string(e.Data()))
	if isDataException(err) {
		return false, fmt.Errorf("insert audit entry: %w: %w", domain.ErrInvalidEntry, err)
	}
	if err != nil {
		return false, fmt.Errorf("insert audit entry: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// isDataException reports whether err is a Postgres error about the data itself
// (SQLSTATE class 22, data exception, or 54, program limit exceeded): storing the same
// data again would fail again.
func isDataException(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "54"))
}

// EntryPostgresRepository reads the audit log. It is safe for concurrent use.
type EntryPostgresRepository struct {
	pool *pgxpool.Pool
}

var _ application.Repository = (*EntryPostgresRepository)(nil)

// NewEntryPostgresRepository returns a repository on pool, whose search_path must be
// the auditlog schema.
func NewEntryPostgresRepository(pool *pgxpool.Pool) *EntryPostgresRepository {
	return &EntryPostgresRepository{pool: pool}
}

const columns = `seq, event_id, type, subject, source, actor, time, time_text, data, recorded_at`

// Get returns the entry of eventID or an error wrapping domain.ErrEntryNotFound.
func (r *EntryPostgresRepository) Get(ctx context.Context, eventID uuid.UUID) (application.RecordedEntry, error) {
	e, err := scanEntry(r.pool.QueryRow(ctx, `SELECT `+columns+` FROM audit_entries WHERE event_id = $1`, eventID))
	if err != nil {
		return application.RecordedEntry{}, fmt.Errorf("get audit entry %s: %w", eventID, err)
	}
	return e, nil
}

// List returns at most n entries matching f in order o, after the entry at position
// after (from the start when after.Seq is 0). Every order ends with seq, so it is total
// and a page's position is exact; each has an index whose columns end with its key
// (see the migrations), with or without a type or actor criterion first. Event times
// are compared at Postgres's microsecond precision: f's bounds are truncated to the
// microsecond, as stored times are.
func (r *EntryPostgresRepository) List(ctx context.Context, f domain.Filter, o domain.Order,
	after application.Position, n int) ([]application.RecordedEntry, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := func(cond string, v any) { conds = append(conds, cond+" "+arg(v)) }
	switch {
	case f.IsShortType():
		where("short_type =", f.Type())
	case f.Type() != "":
		where("type =", f.Type())
	}
	if f.Subject() != "" {
		where("subject =", f.Subject())
	}
	if f.Actor() != "" {
		where("actor =", f.Actor())
	}
	if q := f.Query(); q != "" {
		p := arg(q)
		conds = append(conds, "(strpos(lower(type), lower("+p+")) > 0 OR strpos(lower(subject), lower("+p+")) > 0"+
			" OR strpos(lower(actor), lower("+p+")) > 0 OR jsonb_path_exists(data, "+arg(searchPath(q))+"::jsonpath))")
	}
	if !f.From().IsZero() {
		where("time >=", f.From().Truncate(time.Microsecond))
	}
	if !f.To().IsZero() {
		where("time <", f.To().Truncate(time.Microsecond))
	}
	key, cmp, dir := "seq", ">", ""
	if o.Descending() {
		cmp, dir = "<", " DESC"
	}
	var keyArgs []any
	switch o {
	case domain.ByTime, domain.ByTimeDesc:
		key, keyArgs = "time, seq", []any{after.Time, after.Seq}
	case domain.ByType, domain.ByTypeDesc:
		key, keyArgs = "type, seq", []any{after.Type, after.Seq}
	default:
		keyArgs = []any{after.Seq}
	}
	if after.Seq != 0 {
		ps := make([]string, len(keyArgs))
		for i, v := range keyArgs {
			ps[i] = arg(v)
		}
		conds = append(conds, "("+key+") "+cmp+" ("+strings.Join(ps, ", ")+")")
	}
	q := `SELECT ` + columns + ` FROM audit_entries`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY ` + strings.ReplaceAll(key, ",", dir+",") + dir + ` LIMIT ` + arg(n)
	rows, err := r.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	var out []application.RecordedEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit entries: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// searchPath is the SQL/JSON path that finds q, as a literal and ignoring case, in
// any string value of a body (not in its keys, which every event of a type shares).
// like_regex takes only a literal pattern, so q is written into the path as a JSON
// string, whose escapes jsonpath string literals share; flag "q" makes it literal.
func searchPath(q string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(q) // a string always encodes
	return `strict $.** ? (@.type() == "string" && @ like_regex ` + strings.TrimSuffix(b.String(), "\n") + ` flag "iq")`
}

func scanEntry(row pgx.Row) (application.RecordedEntry, error) {
	var (
		rec      application.RecordedEntry
		in       domain.EntryInput
		timeText string
		data     []byte
	)
	err := row.Scan(&rec.Seq, &in.EventID, &in.Type, &in.Subject, &in.Source, &in.Actor, &in.Time, &timeText, &data, &rec.RecordedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return application.RecordedEntry{}, domain.ErrEntryNotFound
	}
	if err != nil {
		return application.RecordedEntry{}, err
	}
	// time_text keeps the offset and nanoseconds the event was published with.
	if t, err := time.Parse(time.RFC3339Nano, timeText); err == nil {
		in.Time = t
	}
	in.Data = data
	rec.Entry = domain.RehydrateEntry(in)
	return rec, nil
}
