package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticFiles are the embedded assets, served under /static/.
func staticFiles() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

var funcs = template.FuncMap{
	"field": field,
	"path":  url.PathEscape,
	"join":  strings.Join,
}

// templates are the pages, each parsed with the layout and the partials so that every
// page can define its own "title" and "content".
type templates map[string]*template.Template

func parseTemplates() (templates, error) {
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := templates{}
	for _, p := range pages {
		name := path.Base(p)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		tt, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		t[name] = tt
	}
	return t, nil
}

// execute renders template name of page into a buffer (so that a template error never
// sends half a page).
func (t templates) execute(page, name string, data any) ([]byte, error) {
	tt, ok := t[page]
	if !ok {
		return nil, fmt.Errorf("no template %s", page)
	}
	var buf bytes.Buffer
	if err := tt.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", page, err)
	}
	return buf.Bytes(), nil
}
