package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitReplacesAbortKeeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.bin")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	f.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after Abort: %q, want the old content", b)
	}
	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // safe after Commit
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("after Commit: %q, want the new content", b)
	}
	if left, _ := filepath.Glob(path + ".*.tmp"); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "missing", "state.bin")); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}
