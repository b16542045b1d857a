// Package atomicfile replaces a file so that a crash leaves the old content
// or the new, never part of either.
package atomicfile

import (
	"os"
	"path/filepath"
)

// File is the new content of a file, written beside it until Commit.
type File struct {
	*os.File
	path string
}

// Create starts replacing path: it creates a temporary file in the same
// directory (so that a directory that is missing or not writable is an
// error now, not at the end).
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs the new content, renames it over the path and syncs the
// directory, so the rename outlives a crash too.
func (f *File) Commit() error {
	if err := f.Sync(); err != nil {
		f.Abort()
		return err
	}
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return err
	}
	dir, err := os.Open(filepath.Dir(f.path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// Abort drops the new content; the file keeps the old. It is safe after
// Commit.
func (f *File) Abort() {
	f.File.Close()
	os.Remove(f.Name())
}
