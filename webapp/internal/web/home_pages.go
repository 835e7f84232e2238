package web

import (
	"net/http"

	"github.com/pitstop/pitstop/webapp/internal/gateway"
)

// serviceView is one service's health for the home and about pages.
type serviceView struct {
	Name      string
	Up, Total int
	Instances []gateway.InstanceStatus
}

func (h *Handlers) services() []serviceView {
	if h.Gateway == nil {
		return nil
	}
	var out []serviceView
	for _, u := range h.Gateway.Services() {
		v := serviceView{Name: u.Name(), Instances: u.Status()}
		v.Total = len(v.Instances)
		for _, in := range v.Instances {
			if in.Up {
				v.Up++
			}
		}
		out = append(out, v)
	}
	return out
}

type homeData struct {
	Layout
	Today    string
	Services []serviceView
}

func (h *Handlers) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "home.html", homeData{Layout: Layout{Title: "Home", Nav: "home"},
		Today: h.today(), Services: h.services()})
}

func (h *Handlers) about(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "about.html", homeData{Layout: Layout{Title: "About", Nav: "about"},
		Today: h.today(), Services: h.services()})
}
