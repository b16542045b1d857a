package enrich

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"IPv4 unchanged", "81.2.3.4", "81.2.3.4"},
		{"IPv4-mapped", "::ffff:81.2.3.4", "81.2.3.4"},
		{"NAT64 well-known prefix", "64:ff9b::81.2.3.4", "81.2.3.4"},
		{"NAT64 prefix with non-zero suffix bits is not NAT64", "64:ff9b:0:1::5102:304", "64:ff9b:0:1::5102:304"},
		{"IPv6 unchanged", "2a02:c7c::1", "2a02:c7c::1"},
		{"zone dropped", "fe80::1%eth0", "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonical(netip.MustParseAddr(tt.in)); got != netip.MustParseAddr(tt.want) {
				t.Errorf("canonical(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestNonRoutableCoversNetip checks the byte switch against the netip
// predicates it replaces, on random addresses and on every IPv4 /8.
func TestNonRoutableCoversNetip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(a netip.Addr) {
		want := a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
			a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast()
		if want && !nonRoutable(a) {
			t.Errorf("nonRoutable(%s) = false; netip calls it non-global", a)
		}
		if a.IsGlobalUnicast() && !a.IsPrivate() && nonRoutable(a) && !special(a) {
			t.Errorf("nonRoutable(%s) = true for a global unicast address outside the special ranges", a)
		}
	}
	for i := range 256 {
		for range 64 {
			check(netip.AddrFrom4([4]byte{byte(i), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}))
			var b [16]byte
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			b[0] = byte(i)
			check(netip.AddrFrom16(b))
		}
	}
}

// special lists the ranges nonRoutable adds to netip's.
func special(a netip.Addr) bool {
	for _, p := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/8", "100::/64", "2001:db8::/32", "2001:2::/48", "3fff::/20", "fec0::/10", "fe00::/9",
	} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

func TestCache(t *testing.T) {
	a := netip.MustParseAddr("81.2.3.4")
	b := netip.MustParseAddr("81.2.3.5")
	la := Location{Kind: KindPublic, City: "A"}
	lb := Location{Kind: KindUnknown, City: "B"}

	c := newCache(16)
	if _, ok := c.get(a, 1); ok {
		t.Fatal("hit in an empty cache")
	}
	c.put(a, 1, la)
	c.put(b, 1, lb)
	if got, ok := c.get(a, 1); !ok || got != la {
		t.Errorf("get(a) = %+v, %v", got, ok)
	}
	if got, ok := c.get(b, 1); !ok || got != lb {
		t.Errorf("get(b) = %+v, %v", got, ok)
	}
	if _, ok := c.get(a, 2); ok {
		t.Error("an entry of generation 1 answered for generation 2")
	}
	c.put(a, 1, lb)
	if got, _ := c.get(a, 1); got != lb {
		t.Errorf("put did not replace: %+v", got)
	}
	c.clear()
	if _, ok := c.get(b, 1); ok {
		t.Error("hit after clear")
	}
}

func TestCacheBounded(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		wantSlots int
	}{
		{"rounded up to a power of two", 1000, 1024},
		{"smaller than one set", 1, cacheWays},
		{"default", DefaultCacheSize, DefaultCacheSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(tt.size)
			if len(c.slots) != tt.wantSlots {
				t.Fatalf("%d slots, want %d", len(c.slots), tt.wantSlots)
			}
			// Fill with four times the capacity: the cache keeps at most
			// its size, and the most recent entries mostly survive.
			n := 4 * len(c.slots)
			for i := range n {
				c.put(netip.AddrFrom4([4]byte{1, byte(i >> 16), byte(i >> 8), byte(i)}), 1, Location{})
			}
			live, recent := 0, 0
			for i := range n {
				if _, ok := c.get(netip.AddrFrom4([4]byte{1, byte(i >> 16), byte(i >> 8), byte(i)}), 1); ok {
					live++
					if i >= n-len(c.slots)/2 {
						recent++
					}
				}
			}
			if live > len(c.slots) {
				t.Errorf("%d live entries in %d slots", live, len(c.slots))
			}
			if len(c.slots) >= 1024 && recent < len(c.slots)/4 {
				t.Errorf("only %d of the last %d entries survive", recent, len(c.slots)/2)
			}
		})
	}
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	c := newCache(64)
	a := netip.MustParseAddr("2a02:c7c::1")
	c.put(a, 1, Location{Kind: KindPublic, City: "Manchester"})
	if n := testing.AllocsPerRun(100, func() { c.get(a, 1) }); n != 0 {
		t.Errorf("get allocates %v times", n)
	}
}
