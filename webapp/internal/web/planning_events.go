package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// heartbeat keeps idle event streams (and the proxies in between) alive.
const heartbeat = 20 * time.Second

// planningEvents streams server-sent events to a browser showing one day: an event
// "planning" each time that day's planning changed (a job planned or finished,
// anywhere). The page reloads its job list on each. Without live updates configured it
// answers 204, which tells EventSource not to reconnect.
func (h *Handlers) planningEvents(w http.ResponseWriter, r *http.Request) {
	date := chi.URLParam(r, "date")
	if _, ok := h.parseDate(date); !ok {
		http.Error(w, "not a date", http.StatusNotFound)
		return
	}
	if h.Hub == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout, which is meant for pages.
	_ = rc.SetWriteDeadline(time.Time{})

	sub := h.Hub.Subscribe(date)
	defer h.Hub.Unsubscribe(sub)

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Subscribed before the browser sees the stream open, so that the reload it does on
	// open cannot miss a change.
	if _, err := fmt.Fprint(w, "retry: 3000\n: subscribed\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case c, ok := <-sub.C:
			if !ok { // shutting down
				return
			}
			b, _ := json.Marshal(c)
			if _, err := fmt.Fprintf(w, "event: planning\ndata: %s\n\n", b); err != nil {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}
