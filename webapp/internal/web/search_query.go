package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// searchQuery is a list page's search, filters and sort as the URL carries them: the
// search box (q), more filters (city, type, actor...), and sort (one of sorts, "-" for
// descending). Paging links keep all of them.
type searchQuery struct {
	Path   string
	Values url.Values
	Sort   string
}

// readSearchQuery reads names and sort from r; a sort not in sorts is dropped.
func readSearchQuery(r *http.Request, path string, sorts []string, names ...string) searchQuery {
	q := searchQuery{Path: path, Values: url.Values{}}
	for _, n := range names {
		if v := strings.TrimSpace(r.URL.Query().Get(n)); v != "" {
			if rs := []rune(v); len(rs) > 100 {
				v = string(rs[:100])
			}
			q.Values.Set(n, v)
		}
	}
	if s := r.URL.Query().Get("sort"); slices.Contains(sorts, strings.TrimPrefix(s, "-")) {
		q.Sort = s
	}
	return q
}

// Get is the value of filter name.
func (q searchQuery) Get(name string) string { return q.Values.Get(name) }

// url is the list's URL with the query, sort and cursor (when not empty).
func (q searchQuery) url(sort, cursor string) string {
	v := url.Values{}
	for k, vs := range q.Values {
		v[k] = vs
	}
	if sort != "" {
		v.Set("sort", sort)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return q.Path
	}
	return q.Path + "?" + v.Encode()
}

// link is url relative to the list page itself ("?..."), for the links on it.
func (q searchQuery) link(sort, cursor string) string {
	u := strings.TrimPrefix(q.url(sort, cursor), q.Path)
	if u == "" {
		return "?"
	}
	return u
}

// sortLink is a sortable column header.
type sortLink struct {
	Label, URL   string
	Active, Desc bool
}

// SortLink is the header of the column sorted by key: ascending, or descending when
// it is sorted ascending by it already.
func (q searchQuery) SortLink(key, label string) sortLink {
	l := sortLink{Label: label, Active: strings.TrimPrefix(q.Sort, "-") == key, Desc: q.Sort == "-"+key}
	next := key
	if q.Sort == key {
		next = "-" + key
	}
	l.URL = q.link(next, "")
	return l
}

// pagerLinks are the first- and next-page links of a list page.
type pagerLinks struct {
	FirstURL, NextURL string
}

func (q searchQuery) pagerTo(cursor, next string) pagerLinks {
	var p pagerLinks
	if cursor != "" {
		p.FirstURL = q.link(q.Sort, "")
	}
	if next != "" {
		p.NextURL = q.link(q.Sort, next)
	}
	return p
}
