package deploytest

import (
	"fmt"
	"regexp"
	"strings"
)

// promqlKeywords are the identifiers of PromQL that are not metric names.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true,
	"atan2": true, "by": true,
	// Aggregation operators may be followed by "by (...)" rather than "(".
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// groupingKeywords take a parenthesised label list that holds no metric names.
var groupingKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true}

// metricNames returns the metric names a PromQL expression selects. It is a small
// lexer, enough for dashboards: it skips strings, label matchers {...}, ranges [...],
// Grafana variables ($x, ${x}), numbers and durations, function and aggregation names
// (an identifier before "("), keywords and grouping label lists (by (...)).
func metricNames(expr string) ([]string, error) {
	var names []string
	i, n := 0, len(expr)
	// skip moves i past the balanced group starting at expr[i] == open.
	skip := func(open, close byte) error {
		depth := 0
		for i < n {
			switch c := expr[i]; {
			case c == '"' || c == '\'' || c == '`':
				if err := skipString(expr, &i); err != nil {
					return err
				}
				continue
			case c == open:
				depth++
			case c == close:
				depth--
				if depth == 0 {
					i++
					return nil
				}
			}
			i++
		}
		return fmt.Errorf("unbalanced %c in %q", open, expr)
	}
	for i < n {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			if err := skipString(expr, &i); err != nil {
				return nil, err
			}
		case c == '{':
			if err := skip('{', '}'); err != nil {
				return nil, err
			}
		case c == '[':
			if err := skip('[', ']'); err != nil {
				return nil, err
			}
		case c == '$':
			i++
			if i < n && expr[i] == '{' {
				if err := skip('{', '}'); err != nil {
					return nil, err
				}
				continue
			}
			for i < n && isIdent(expr[i]) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.' && i+1 < n && expr[i+1] >= '0' && expr[i+1] <= '9':
			for i < n && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			start := i
			for i < n && isIdent(expr[i]) {
				i++
			}
			ident := expr[start:i]
			j := i
			for j < n && (expr[j] == ' ' || expr[j] == '\t' || expr[j] == '\n') {
				j++
			}
			lower := strings.ToLower(ident)
			switch {
			case groupingKeywords[lower] && j < n && expr[j] == '(':
				i = j
				if err := skip('(', ')'); err != nil {
					return nil, err
				}
			case promqlKeywords[lower]:
			case j < n && expr[j] == '(': // a function or an aggregation
			default:
				names = append(names, ident)
			}
		default:
			i++
		}
	}
	return names, nil
}

func skipString(s string, i *int) error {
	q := s[*i]
	for j := *i + 1; j < len(s); j++ {
		if s[j] == '\\' && q != '`' {
			j++
			continue
		}
		if s[j] == q {
			*i = j + 1
			return nil
		}
	}
	return fmt.Errorf("unterminated string in %q", s)
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// labelValuesQuery matches Grafana's label_values(<selector>, <label>) variable query.
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// templateMetricNames returns the metric names of a Grafana variable query.
func templateMetricNames(q string) ([]string, error) {
	if m := labelValuesQuery.FindStringSubmatch(q); m != nil {
		return metricNames(m[1])
	}
	if strings.HasPrefix(strings.TrimSpace(q), "label_values(") { // label_values(label): every series
		return nil, nil
	}
	for _, prefix := range []string{"query_result(", "metrics("} {
		if strings.HasPrefix(strings.TrimSpace(q), prefix) {
			inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(q), prefix), ")")
			if prefix == "metrics(" {
				return nil, nil
			}
			return metricNames(inner)
		}
	}
	return metricNames(q)
}
