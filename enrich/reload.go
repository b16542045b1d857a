package enrich

import (
	"context"
	"errors"
	"fmt"
	"github.com/oschwald/geoip2-golang/v2"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Databases are read into memory and opened with geoip2.OpenBytes (for
// lookups) and maxminddb.OpenBytes (for the load-time integrity walk, which
// geoip2 does not offer) over the same bytes, rather than memory-mapped. A mapped file must not be unmapped while a
// lookup may still read it, which would need reference counting on the hot
// path; an in-memory database is simply dropped after a swap, and the
// garbage collector frees it once the last in-flight lookup returns. The
// cost is the database's size in heap (about 60 MB for GeoLite2-City), twice
// that for a moment during a reload, and no sharing of pages between
// processes.

// role is what a database file is used for.
type role uint8

const (
	roleCity role = iota
	roleASN
)

func (r role) String() string {
	if r == roleASN {
		return "asn"
	}
	return "city"
}

// accepts reports whether a database of type t can play the role.
func (r role) accepts(t string) bool {
	if r == roleASN {
		// GeoLite2-ASN, DBIP-ASN-Lite (compat=GeoLite2-ASN), GeoIP2-ISP.
		return strings.Contains(t, "ASN") || strings.Contains(t, "ISP")
	}
	// GeoIP2-City, GeoLite2-City, GeoIP2-City-Europe, GeoIP2-Enterprise,
	// DBIP-City-Lite, DBIP-Location (compat=City), ... but not Country
	// databases, which have no coordinates.
	return strings.Contains(t, "City") || strings.Contains(t, "Enterprise")
}

// stamp identifies one version of a file: a change in any part means the
// file was replaced or rewritten.
type stamp struct {
	fi      os.FileInfo // for os.SameFile: an atomic rename changes the inode
	size    int64
	modTime time.Time
	missing bool // the file could not be read at all
}

func stampOf(fi os.FileInfo) stamp {
	return stamp{fi: fi, size: fi.Size(), modTime: fi.ModTime()}
}

func (s stamp) equal(o stamp) bool {
	if s.missing || o.missing {
		return s.missing == o.missing
	}
	if s.fi == nil || o.fi == nil {
		return false
	}
	return s.size == o.size && s.modTime.Equal(o.modTime) && os.SameFile(s.fi, o.fi)
}

// dbFile is one opened database.
type dbFile struct {
	reader *maxminddb.Reader // metadata and the load-time integrity walk
	geo    *geoip2.Reader    // lookups
	path   string
	stamp  stamp
	size   int64
}

func (f *dbFile) info() DatabaseInfo {
	if f == nil || f.reader == nil {
		return DatabaseInfo{}
	}
	return DatabaseInfo{
		Path:      f.path,
		Type:      f.reader.Metadata.DatabaseType,
		BuildTime: f.reader.Metadata.BuildTime(),
		Size:      f.size,
		ModTime:   f.stamp.modTime,
	}
}

// loadFile reads and opens the database at path. The stamp comes from the
// open descriptor, so it describes exactly the bytes read even if the file
// is replaced meanwhile. On failure the returned dbFile is nil and the stamp
// identifies the version that failed.
func loadFile(path string, r role) (*dbFile, error) {
	data, st, err := readFile(path)
	if err != nil {
		return &dbFile{path: path, stamp: st}, fmt.Errorf("reading %s database: %w", r, err)
	}
	f, err := openBytes(data, r, path)
	if err != nil {
		return &dbFile{path: path, stamp: st}, err
	}
	f.stamp = st
	return f, nil
}

func readFile(path string) ([]byte, stamp, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, stamp{missing: true}, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, stamp{missing: true}, err
	}
	st := stampOf(fi)
	if !fi.Mode().IsRegular() {
		return nil, st, fmt.Errorf("%s is not a regular file", path)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(fh, data); err != nil {
		return nil, st, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, st, nil
}

// openBytes opens a database and checks every record, so that a corrupt
// file is rejected at load time instead of failing lookups later.
func openBytes(data []byte, r role, path string) (*dbFile, error) {
	name := path
	if name == "" {
		name = "in-memory data"
	}
	reader, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("opening %s database %s: %w", r, name, err)
	}
	if t := reader.Metadata.DatabaseType; !r.accepts(t) {
		return nil, fmt.Errorf("%s database %s has type %q: %w", r, name, t, ErrUnsupportedDatabase)
	}
	if err := check(reader, r); err != nil {
		return nil, fmt.Errorf("checking %s database %s: %w", r, name, err)
	}
	geo, err := geoip2.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("opening %s database %s: %w", r, name, err)
	}
	return &dbFile{reader: reader, geo: geo, path: path, size: int64(len(data))}, nil
}

// check walks the whole search tree and decodes every distinct record into
// the struct lookups use. It rejects what lookups would trip over: broken
// tree pointers, corrupt data and fields of the wrong type.
//
// maxminddb's Reader.Verify is stricter in ways that do not matter here (it
// rejects a database whose metadata has no description, as mmdbwriter
// writes by default) and would not catch a field of the wrong type.
func check(reader *maxminddb.Reader, r role) error {
	seen := make(map[uintptr]struct{})
	for res := range reader.Networks() {
		if err := res.Err(); err != nil {
			return err
		}
		off := res.Offset()
		if _, ok := seen[off]; ok {
			continue
		}
		seen[off] = struct{}{}
		var err error
		if r == roleASN {
			var rec geoip2.ASN
			err = res.Decode(&rec)
		} else {
			var rec geoip2.City
			err = res.Decode(&rec)
		}
		if err != nil {
			return fmt.Errorf("record for %s: %w", res.Prefix(), err)
		}
	}
	return nil
}

// Run polls the database files every ReloadInterval and reloads those whose
// size, modification time or identity changed. A file that fails to load is
// logged and counted once and retried only after it changes again; the
// previous database stays in use. Run returns nil when ctx is done. With a
// zero ReloadInterval, on an Enricher from NewFromBytes, or after Close, it
// only waits for ctx.
func (e *Enricher) Run(ctx context.Context) error {
	if e.interval <= 0 || e.cityPath == "" {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			// Failures are logged and counted by reload.
			if err := e.reload(false); errors.Is(err, ErrClosed) {
				<-ctx.Done()
				return nil
			}
		}
	}
}

// Reload reads both database files now, whether or not they changed, and
// swaps in those that load. It returns the load errors; a database that
// fails to load is kept at its previous version.
func (e *Enricher) Reload() error {
	return e.reload(true)
}

func (e *Enricher) reload(force bool) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.cityPath == "" {
		return ErrNotReloadable
	}
	old := e.dbs.Load()
	next := &databases{gen: old.gen + 1, city: old.city, asn: old.asn}
	var errs []error
	changed := false
	for _, s := range []struct {
		role role
		path string
		cur  **dbFile
	}{{roleCity, e.cityPath, &next.city}, {roleASN, e.asnPath, &next.asn}} {
		if s.path == "" {
			continue
		}
		if !force && !e.changed(s.path, *s.cur, s.role) {
			continue
		}
		f, err := loadFile(s.path, s.role)
		if err != nil {
			e.failed[s.role] = f.stamp
			errs = append(errs, err)
			continue
		}
		e.failed[s.role] = stamp{}
		*s.cur = f
		changed = true
	}
	if err := errors.Join(errs...); err != nil {
		e.metrics.reloadFailure.Inc()
		kept := "previous databases kept"
		if changed {
			kept = "databases that loaded were swapped in, the others kept"
		}
		e.logger.Error("geoip reload failed; "+kept, "err", err)
	}
	if !changed {
		return errors.Join(errs...)
	}
	if len(errs) == 0 {
		e.metrics.reloadSuccess.Inc()
	}
	e.swap(next)
	e.logger.Info("geoip databases reloaded", "city", next.city.info(), "asn", next.asn.info())
	return errors.Join(errs...)
}

// changed reports whether the file at path differs from the loaded version
// cur and from the version that last failed to load. A stat error counts as
// a change unless the last failure was also a missing file, so a deleted file
// is reported once.
func (e *Enricher) changed(path string, cur *dbFile, r role) bool {
	var st stamp
	if fi, err := os.Stat(path); err != nil {
		st = stamp{missing: true}
	} else {
		st = stampOf(fi)
	}
	if cur != nil && st.equal(cur.stamp) {
		return false
	}
	return !st.equal(e.failed[r])
}
