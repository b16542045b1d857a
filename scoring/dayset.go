package scoring

import (
	"math"
	"math/bits"
)

// dayset records on which of the last 64 days (UTC) something happened, in
// 12 bytes. Bit 0 is day `last`, bit i is day last-i.
type dayset struct {
	last int32
	bits uint64
}

// add marks day d.
func (s *dayset) add(d int32) {
	switch {
	case s.bits == 0:
		s.last, s.bits = d, 1
	case d > s.last:
		shift := d - s.last
		if shift >= 64 {
			s.bits = 0
		} else {
			s.bits <<= uint(shift)
		}
		s.bits |= 1
		s.last = d
	case s.last-d < 64:
		s.bits |= 1 << uint(s.last-d)
	}
}

// has reports whether day d is marked.
func (s dayset) has(d int32) bool {
	if s.bits == 0 || d > s.last || s.last-d >= 64 {
		return false
	}
	return s.bits&(1<<uint(s.last-d)) != 0
}

// window returns the bits for the `n` days ending at day `now`, aligned so
// bit 0 is `now`.
func (s dayset) window(now int32, n int) uint64 {
	if s.bits == 0 || n <= 0 {
		return 0
	}
	if n > 64 {
		n = 64
	}
	shift := now - s.last
	var b uint64
	switch {
	case shift >= 64:
		return 0
	case shift >= 0:
		b = s.bits << uint(shift)
	case -shift >= 64:
		return 0
	default:
		b = s.bits >> uint(-shift)
	}
	if n < 64 {
		b &= (1 << uint(n)) - 1
	}
	return b
}

// count returns how many of the `n` days ending at `now` are marked.
func (s dayset) count(now int32, n int) int { return bits.OnesCount64(s.window(now, n)) }

// total returns how many days are marked.
func (s dayset) total() int { return bits.OnesCount64(s.bits) }

// first returns the oldest marked day (math.MaxInt32 when none).
func (s dayset) first() int32 {
	if s.bits == 0 {
		return math.MaxInt32
	}
	return s.last - int32(63-bits.LeadingZeros64(s.bits))
}
