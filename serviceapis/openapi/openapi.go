// Package openapi embeds Pitstop's OpenAPI 3.1 documents, one per HTTP API. Each
// service serves its own at /openapi.yaml, and the component tests validate every
// request and response they make against it (package openapitest), so the documents
// cannot drift from the code.
package openapi

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Spec returns the OpenAPI document of service ("customers", "vehicles", ...), or nil.
func Spec(service string) []byte {
	b, err := files.ReadFile(service + ".yaml")
	if err != nil {
		return nil
	}
	return b
}

// Services lists the services that have a document.
func Services() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}
