package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/internal/atomicfile"
	"github.com/sharewatch/sharewatch/scoring"
)

// A run state file is the scorer's checkpoint (scoring.Scorer.Checkpoint)
// behind the offsets, per partition of the logins topic, of the events it
// holds: the magic "SWRS", a format version, a count, then partition and
// offset pairs (varints), then the checkpoint. `run --state` writes it on
// a clean shutdown, once the consumer has committed what it processed,
// and reads it on start when the group's committed offsets are exactly
// those: the state then holds every event before them and none after, so
// the run goes on with the verdicts of one that never stopped. When they
// differ (a crash before the last commit, another consumer of the group
// since, partitions added) the file is left aside and the run starts
// cold, as without it.
const (
	runStateMagic   = "SWRS"
	runStateVersion = 1
)

// ErrRunState is returned for a state file that cannot be read.
var ErrRunState = errors.New("pipeline: bad run state file")

// restoreRunState restores the scorer from the state file at path if the
// group's committed offsets match it, and returns those offsets.
func restoreRunState(ctx context.Context, cfg config.Config, sc *scoring.Scorer, path string, log *slog.Logger) (map[int]int64, error) {
	// Where the state goes at the end is checked now, not after weeks of
	// consuming.
	probe, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	probe.Abort()
	// The group's offsets, waiting for the broker as the consumer would
	// (a coordinator still loading, a broker restarting).
	var group map[int]int64
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		if group, err = ingest.GroupOffsets(ctx, cfg.Kafka); err == nil {
			break
		}
		log.Warn("reading the group's committed offsets for the state file; retrying", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("--state: %w (last: %w)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		log.Info("no state file yet; scoring starts from nothing", "state", path)
		return group, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	offsets, err := readRunStateHeader(br)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrRunState, path, err)
	}
	if !maps.Equal(offsets, group) {
		log.Warn("state file is not at the group's committed offsets (a crash before the last commit, or another consumer since); scoring starts from nothing",
			"state", path, "state_offsets", offsets, "group_offsets", group)
		return group, nil
	}
	if err := sc.Restore(br); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrRunState, path, err)
	}
	log.Info("scorer state restored", "state", path, "accounts", sc.Accounts(), "offsets", offsets)
	return group, nil
}

func readRunStateHeader(r *bufio.Reader) (map[int]int64, error) {
	magic := make([]byte, len(runStateMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != runStateMagic {
		return nil, errors.New("not a sharewatch run state file")
	}
	v, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if v != runStateVersion {
		return nil, fmt.Errorf("format version %d, this build reads %d", v, runStateVersion)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > 1<<16 {
		return nil, fmt.Errorf("%d partitions", n)
	}
	out := make(map[int]int64, n)
	for range n {
		p, err1 := binary.ReadUvarint(r)
		off, err2 := binary.ReadVarint(r)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if p > 1<<31 {
			return nil, fmt.Errorf("partition %d", p)
		}
		out[int(p)] = off
	}
	return out, nil
}

// saveRunState writes the scorer's state with the offsets it holds events
// up to: those the consumer processed, and for partitions it processed
// nothing of, the group's offsets at the start.
func saveRunState(sc *scoring.Scorer, start, processed map[int]int64, path string, log *slog.Logger) error {
	offsets := maps.Clone(start)
	maps.Copy(offsets, processed)
	f, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	defer f.Abort()
	b := []byte(runStateMagic)
	b = binary.AppendUvarint(b, runStateVersion)
	b = binary.AppendUvarint(b, uint64(len(offsets)))
	for _, p := range slices.Sorted(maps.Keys(offsets)) {
		b = binary.AppendUvarint(b, uint64(p))
		b = binary.AppendVarint(b, offsets[p])
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	if err := sc.Checkpoint(f); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	log.Info("scorer state saved", "state", path, "accounts", sc.Accounts(), "offsets", offsets)
	return nil
}
