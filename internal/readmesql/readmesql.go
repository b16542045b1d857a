// Package readmesql extracts the example analyst queries from the README,
// so tests can run exactly what the documentation tells users to run.
package readmesql

import (
	"errors"
	"os"
	"strings"
)

// Queries returns the statements of the first ```sql block in the
// Markdown file at path, without their -- comment lines.
func Queries(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, rest, ok := strings.Cut(string(b), "```sql\n")
	if !ok {
		return nil, errors.New(path + " has no ```sql block")
	}
	block, _, _ := strings.Cut(rest, "```")
	var out []string
	for _, q := range strings.Split(block, ";") {
		var lines []string
		for _, l := range strings.Split(q, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if q = strings.TrimSpace(strings.Join(lines, "\n")); q != "" {
			out = append(out, q)
		}
	}
	return out, nil
}
