package readmesql

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestQueries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	doc := "# x\n\n```go\nfmt.Println(1);\n```\n\n```sql\n-- flagged today\nSELECT 1\nFROM t;\n\n-- history\nSELECT 2;\n```\n\n```sql\nSELECT 3;\n```\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Queries(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"SELECT 1\nFROM t", "SELECT 2"}; !slices.Equal(got, want) {
		t.Errorf("Queries = %q, want %q", got, want)
	}
	if err := os.WriteFile(path, []byte("no sql here"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Queries(path); err == nil {
		t.Error("a file without a sql block gave no error")
	}
}
