package verdictstore

import (
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/sharewatch/sharewatch/scoring"
)

// insertBlockRows is the most rows sent in one native-protocol data block.
// An INSERT of more rows is sent as several blocks, which the server
// squashes into one part before writing it (min_insert_block_size_rows, 1M
// by default), so there are no more parts than with one block. The driver
// allocates its column buffers afresh for every INSERT and reuses them
// between the blocks of one: 10k rows in 1k-row blocks allocate a tenth of
// what one block does, and at 300k rows/s the garbage collection that saves
// was half the client's CPU. Each block costs the server ~75µs (its header
// is parsed anew), so much smaller blocks cost more than they save.
const insertBlockRows = 1024

// verdictBlock holds one block of the verdicts table, column by column in
// the order of verdictColumns. Blocks are pooled and reused.
type verdictBlock struct {
	eventID, account, session, device, typ, ip, country, city []string
	verdict, explanation, action, model                       []string
	ts, ingestedAt                                            []int64 // Unix s
	ms                                                        []uint16
	lat, lon, score                                           []float64
	accuracy                                                  []int32
	asn                                                       []uint32
	reasons                                                   reasonRows
}

var verdictBlocks = sync.Pool{New: func() any { return new(verdictBlock) }}

// fill sets the block to vs, which must be valid (checkVerdict).
func (b *verdictBlock) fill(vs []scoring.Verdict, ingested int64) {
	n := len(vs)
	b.eventID, b.account, b.session, b.device = resize(b.eventID, n), resize(b.account, n), resize(b.session, n), resize(b.device, n)
	b.typ, b.ip, b.country, b.city = resize(b.typ, n), resize(b.ip, n), resize(b.country, n), resize(b.city, n)
	b.verdict, b.explanation, b.action, b.model = resize(b.verdict, n), resize(b.explanation, n), resize(b.action, n), resize(b.model, n)
	b.ts, b.ingestedAt, b.ms = resize(b.ts, n), resize(b.ingestedAt, n), resize(b.ms, n)
	b.lat, b.lon, b.score = resize(b.lat, n), resize(b.lon, n), resize(b.score, n)
	b.accuracy, b.asn = resize(b.accuracy, n), resize(b.asn, n)
	b.reasons.reset(n)
	for i := range vs {
		v := &vs[i]
		b.eventID[i], b.account[i], b.session[i], b.device[i] = v.EventID, v.AccountID, v.SessionID, v.DeviceID
		b.typ[i], b.ip[i], b.country[i], b.city[i] = v.Type, v.IP, v.Country, v.City
		b.verdict[i], b.explanation[i], b.action[i], b.model[i] = v.Verdict.String(), v.Explanation, v.Action, v.ModelVersion
		b.ts[i], b.ms[i] = unixMS(v.Time)
		b.ingestedAt[i] = ingested
		b.lat[i], b.lon[i], b.score[i] = v.Lat, v.Lon, v.Score
		b.accuracy[i], b.asn[i] = int32(v.AccuracyKM), v.ASN
		b.reasons.add(v.Reasons)
	}
}

// appendTo appends the block's columns to a batch.
func (b *verdictBlock) appendTo(batch driver.Batch) error {
	return appendColumns(batch, b.eventID, b.ts, b.ms, b.account, b.session, b.device, b.typ,
		b.ip, b.country, b.city, b.lat, b.lon, b.accuracy, b.asn, b.score, b.verdict,
		&b.reasons, b.explanation, b.action, b.model, b.ingestedAt)
}

// release drops the block's references to verdicts and returns it to the
// pool.
func (b *verdictBlock) release() {
	for _, s := range [...][]string{b.eventID, b.account, b.session, b.device, b.typ, b.ip,
		b.country, b.city, b.verdict, b.explanation, b.action, b.model} {
		clear(s)
	}
	b.reasons.release()
	verdictBlocks.Put(b)
}

// accountRow is one account's row in account_verdicts: its latest verdict
// in a write and its first flagged time.
type accountRow struct {
	latest       *scoring.Verdict
	version      int64 // latest event's Unix ms
	firstFlagged int64 // Unix s; 0 when never flagged
}

// accountSet collects the account rows of one write. Sets are pooled: their
// map and slice grow to the accounts of a batch once, not on every write.
type accountSet struct {
	index map[string]int // account ID → index in rows
	rows  []accountRow
}

var accountSets = sync.Pool{New: func() any { return &accountSet{index: make(map[string]int)} }}

func (a *accountSet) release() {
	clear(a.index)
	clear(a.rows)
	a.rows = a.rows[:0]
	accountSets.Put(a)
}

// accountBlock holds one block of the account_verdicts table, in the order
// of accountColumns.
type accountBlock struct {
	account, verdict, explanation, lastEvent, action, model []string
	updatedAt, lastTime                                     []int64 // Unix s
	version                                                 []uint64
	score                                                   []float64
	reasons                                                 reasonRows
	firstFlagged                                            []*int64
	firstFlaggedVal                                         []int64
	lastMS                                                  []uint16
}

var accountBlocks = sync.Pool{New: func() any { return new(accountBlock) }}

func (b *accountBlock) fill(rows []accountRow, updated int64) {
	n := len(rows)
	b.account, b.verdict, b.explanation = resize(b.account, n), resize(b.verdict, n), resize(b.explanation, n)
	b.lastEvent, b.action, b.model = resize(b.lastEvent, n), resize(b.action, n), resize(b.model, n)
	b.updatedAt, b.lastTime, b.lastMS = resize(b.updatedAt, n), resize(b.lastTime, n), resize(b.lastMS, n)
	b.version, b.score = resize(b.version, n), resize(b.score, n)
	b.reasons.reset(n)
	b.firstFlagged, b.firstFlaggedVal = resize(b.firstFlagged, n), resize(b.firstFlaggedVal, n)
	for i := range rows {
		r := &rows[i]
		v := r.latest
		b.account[i], b.verdict[i], b.explanation[i] = v.AccountID, v.Verdict.String(), v.Explanation
		b.lastEvent[i], b.action[i], b.model[i] = v.EventID, v.Action, v.ModelVersion
		b.updatedAt[i] = updated
		b.lastTime[i], b.lastMS[i] = unixMS(v.Time)
		b.version[i] = uint64(r.version)
		b.score[i] = v.Score
		b.reasons.add(v.Reasons)
		b.firstFlagged[i] = nil
		if r.firstFlagged != 0 {
			b.firstFlaggedVal[i] = r.firstFlagged
			b.firstFlagged[i] = &b.firstFlaggedVal[i]
		}
	}
}

func (b *accountBlock) appendTo(batch driver.Batch) error {
	return appendColumns(batch, b.account, b.updatedAt, b.version, b.verdict, b.score, &b.reasons,
		b.explanation, b.firstFlagged, b.lastEvent, b.lastTime, b.lastMS, b.action, b.model)
}

func (b *accountBlock) release() {
	for _, s := range [...][]string{b.account, b.verdict, b.explanation, b.lastEvent, b.action, b.model} {
		clear(s)
	}
	b.reasons.release()
	clear(b.firstFlagged)
	accountBlocks.Put(b)
}

// reasonRows holds an Array(String) column as a []*string per row, pointing
// into the verdicts' Reasons. The driver takes those row by row without
// reflection and copies each string without boxing it, where [][]string
// costs it reflection and an allocation per string.
type reasonRows struct {
	rows [][]*string
	ptrs []*string // the rows' backing array
}

func (r *reasonRows) reset(n int) {
	r.rows = resize(r.rows, n)[:0]
	r.ptrs = r.ptrs[:0]
}

func (r *reasonRows) add(reasons []string) {
	lo := len(r.ptrs)
	for i := range reasons {
		r.ptrs = append(r.ptrs, &reasons[i])
	}
	// Rows made before ptrs grew keep pointing at its old array, which
	// holds the same pointers.
	r.rows = append(r.rows, r.ptrs[lo:len(r.ptrs):len(r.ptrs)])
}

func (r *reasonRows) release() {
	clear(r.rows)
	clear(r.ptrs)
}

// appendColumns appends one slice per column, in the batch's column order.
func appendColumns(batch driver.Batch, cols ...any) error {
	for i, c := range cols {
		col := batch.Column(i)
		var err error
		if r, ok := c.(*reasonRows); ok {
			for _, row := range r.rows {
				if err = col.AppendRow(row); err != nil {
					break
				}
			}
		} else {
			err = col.Append(c)
		}
		if err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

// resize returns s with length n, reusing its array when large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// unixMS splits t into whole Unix seconds and milliseconds; finer precision
// is dropped. It is splitTime without building a time.Time per column.
func unixMS(t time.Time) (int64, uint16) {
	ms := t.UnixMilli()
	sec, rem := ms/1000, ms%1000
	if rem < 0 { // before 1970: checkVerdict rejects those
		sec, rem = sec-1, rem+1000
	}
	return sec, uint16(rem)
}
