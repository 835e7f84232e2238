package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileSender writes each message as <dir>/<ID>.eml, a complete RFC 5322 message with
// the same headers and MIME structure SMTPSender sends (used by the all-in-one when
// no mail server is configured). It is safe for concurrent use, also by several
// processes on one directory.
//
// The file name is the ID with every byte outside [A-Za-z0-9._@+=-] replaced by "_"
// (so an ID can never name a path outside dir); when anything was replaced, or the ID
// is very long, a hash of the exact ID is appended so that distinct IDs never share a
// file. The file appears atomically (written to a temporary file, synced, renamed)
// and sending an ID that already has a file does nothing: the first copy is kept.
type FileSender struct {
	dir string
}

// NewFileSender returns a sender writing to dir, created on first use.
func NewFileSender(dir string) *FileSender { return &FileSender{dir: dir} }

// Dir is the directory the sender writes to.
func (s *FileSender) Dir() string { return s.dir }

// Path is the file that holds (or will hold) the message with the given ID.
func (s *FileSender) Path(id string) string { return filepath.Join(s.dir, FileName(id)) }

// FileName is the name of the .eml file of the message with the given ID.
func FileName(id string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '@', c == '+', c == '=', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
			changed = true
		}
	}
	name := b.String()
	if strings.HasPrefix(name, ".") { // never a hidden file, never "." or ".."
		name = "_" + name[1:]
		changed = true
	}
	const maxBase = 200 // well under the usual 255-byte limit, with room for the hash
	if len(name) > maxBase {
		name = name[:maxBase]
		changed = true
	}
	if changed || name == "" {
		sum := sha256.Sum256([]byte(id))
		name += "-" + hex.EncodeToString(sum[:8])
	}
	return name + ".eml"
}

// Send writes m to its file unless the file already exists.
func (s *FileSender) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := s.Path(m.ID)
	if _, err := os.Stat(path); err == nil {
		return s.syncDir() // already written (idempotent); make sure it is durable
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file sender: %w", err)
	}
	msg, err := compose(m, time.Now())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := msg.WriteTo(tmp); err != nil {
		return fmt.Errorf("file sender: write %s: %w", m.ID, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	// Rename replaces atomically: a concurrent writer of the same ID wrote an
	// equivalent message, so whichever lands last is fine.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	committed = true
	return s.syncDir()
}

// syncDir makes the directory entries durable before the row is marked sent; a failure
// is a failed send (the retry finds the file and only syncs again).
func (s *FileSender) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	if err := errors.Join(d.Sync(), d.Close()); err != nil {
		return fmt.Errorf("file sender: sync %s: %w", s.dir, err)
	}
	return nil
}
