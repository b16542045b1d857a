package enrich

import "net/netip"

// Kind classifies an address.
type Kind uint8

// Address kinds.
const (
	// KindPublic is a routable address found in the City database.
	KindPublic Kind = iota
	// KindUnknown is a routable address the City database has no location for.
	KindUnknown
	// KindPrivate is a private, loopback, link-local, CGNAT or otherwise
	// non-routable address; it says nothing about a place.
	KindPrivate
	// KindInvalid is the zero netip.Addr.
	KindInvalid
)

var kindNames = [...]string{"public", "unknown", "private", "invalid"}

// String returns the kind's name, as used in the lookups metric's result label.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Location is the enriched view of one IP address.
type Location struct {
	Kind       Kind
	Country    string  // ISO 3166-1 alpha-2, "" when unknown
	City       string  // English city name, "" when unknown
	Lat, Lon   float64 // valid only when HasCoords
	HasCoords  bool
	AccuracyKM uint16 // MaxMind's 67% confidence radius; 0 when unknown
	ASN        uint32 // 0 when unknown or no ASN database
	ASOrg      string
	// Hosting is true when the ASN is on the hosting/VPN list: the location
	// is the data centre's, not the person's.
	Hosting bool
	// Network is a stable identifier of the access network the address
	// belongs to (a /24 for IPv4, a /56 for IPv6). Two addresses with the
	// same Network are very likely the same home or office line.
	Network netip.Prefix
}

// Trusted reports whether the location can stand for a person's position.
func (l Location) Trusted() bool {
	return l.Kind == KindPublic && l.HasCoords && !l.Hosting
}

// NetworkOf returns the access-network prefix used for Location.Network.
func NetworkOf(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 56
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}
