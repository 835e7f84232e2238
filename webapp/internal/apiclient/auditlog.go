package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
)

// AuditEntry is one event as the audit log stored it.
type AuditEntry struct {
	EventID    string          `json:"eventId"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	Source     string          `json:"source"`
	Actor      string          `json:"actor"`
	Time       string          `json:"time"`
	Data       json.RawMessage `json:"data"`
	RecordedAt string          `json:"recordedAt"`
}

// AuditQuery narrows and orders the audit log: Type a full or short event type, Actor
// who caused the event (exactly), Q a search text, Sort one of recorded, time, type
// (- for descending); empty members are not sent.
type AuditQuery struct {
	Type, Actor, Q, Sort string
}

// AuditLog is the client of /api/auditlog.
type AuditLog struct{ c client }

// NewAuditLog returns the client sending its requests through rt.
func NewAuditLog(rt http.RoundTripper) *AuditLog { return &AuditLog{newClient("auditlog", rt)} }

// List returns one page of the entries matching q, in its order.
func (a *AuditLog) List(ctx context.Context, q AuditQuery, cursor string, limit int) (Page[AuditEntry], error) {
	query := pageQuery(cursor, limit)
	setNonEmpty(query, "type", q.Type)
	setNonEmpty(query, "actor", q.Actor)
	setNonEmpty(query, "q", q.Q)
	setNonEmpty(query, "sort", q.Sort)
	var p Page[AuditEntry]
	err := a.c.do(ctx, http.MethodGet, "/api/auditlog", query, nil, &p)
	return p, err
}
