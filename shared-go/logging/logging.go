// Package logging builds the process logger (log/slog).
package logging

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// New returns a logger writing to stderr in format ("text" or "json") at level
// ("debug", "info", "warn", "error"), with the service name on every line (none when
// service is empty, for a process that names each component's lines itself).
func New(service, level, format string) *slog.Logger {
	return NewTo(os.Stderr, service, level, format)
}

// NewTo is New writing to w.
func NewTo(w io.Writer, service, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	if service == "" {
		return slog.New(h)
	}
	return slog.New(h).With("service", service)
}
