package enrich

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
)

// cacheWays is the associativity of the cache: an address can live in any
// of the cacheWays slots of its set. Four pointers fill half a cache line.
const cacheWays = 4

// cacheEntry is immutable once published.
type cacheEntry struct {
	key netip.Addr
	gen uint64 // database generation the answer came from
	loc Location
}

// cache is a fixed-size, set-associative, lock-free map from address to
// Location. A hit is a few atomic loads and no writes, so readers on
// different cores never contend and nothing allocates. A miss publishes a new
// immutable entry into an empty or stale slot of the set, else over a random
// one: random eviction within a set is close to LRU for skewed workloads and
// needs no bookkeeping on the hit path.
//
// Entries carry the database generation; an entry from an older generation is
// a miss, so a reload invalidates the whole cache at once, even against a
// lookup that raced with the swap and published an old answer late.
type cache struct {
	slots []atomic.Pointer[cacheEntry]
	mask  uint64 // number of sets - 1
	seed0 uint64
	seed1 uint64
}

func newCache(size int) *cache {
	sets := 1
	for sets*cacheWays < size {
		sets <<= 1
	}
	return &cache{
		slots: make([]atomic.Pointer[cacheEntry], sets*cacheWays),
		mask:  uint64(sets - 1),
		seed0: rand.Uint64() | 1,
		seed1: rand.Uint64(),
	}
}

// hash mixes the address with a per-cache random seed, so that chosen
// addresses cannot be aimed at one set.
func (c *cache) hash(a netip.Addr) uint64 {
	b := a.As16()
	hi, lo := bits.Mul64(binary.LittleEndian.Uint64(b[:8])^c.seed0, binary.LittleEndian.Uint64(b[8:])^c.seed1)
	hi, lo = bits.Mul64(hi^lo^c.seed1, 0x9e3779b97f4a7c15)
	return hi ^ lo
}

func (c *cache) set(a netip.Addr) []atomic.Pointer[cacheEntry] {
	base := (c.hash(a) & c.mask) * cacheWays
	return c.slots[base : base+cacheWays : base+cacheWays]
}

// get returns the cached answer for a from generation gen.
func (c *cache) get(a netip.Addr, gen uint64) (Location, bool) {
	set := c.set(a)
	for i := range set {
		if e := set[i].Load(); e != nil && e.key == a && e.gen == gen {
			return e.loc, true
		}
	}
	return Location{}, false
}

// put publishes loc for a in generation gen.
func (c *cache) put(a netip.Addr, gen uint64, loc Location) {
	set := c.set(a)
	e := &cacheEntry{key: a, gen: gen, loc: loc}
	for i := range set {
		old := set[i].Load()
		if old == nil || old.gen != gen || old.key == a {
			set[i].Store(e)
			return
		}
	}
	set[rand.Uint32()%cacheWays].Store(e)
}

// clear drops every entry so that memory held by an old generation's answers
// is released. Correctness does not depend on it: stale entries are misses.
func (c *cache) clear() {
	for i := range c.slots {
		c.slots[i].Store(nil)
	}
}
