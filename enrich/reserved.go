package enrich

import "net/netip"

// canonical unmaps IPv4-mapped IPv6 (::ffff:a.b.c.d) and NAT64 well-known
// prefix (64:ff9b::a.b.c.d, RFC 6052) addresses to IPv4 and drops any zone,
// so that one host has one cache key and one database answer.
func canonical(ip netip.Addr) netip.Addr {
	if ip.Is4() {
		return ip
	}
	if ip.Is4In6() {
		return ip.Unmap()
	}
	b := ip.As16()
	if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
		b[4]|b[5]|b[6]|b[7]|b[8]|b[9]|b[10]|b[11] == 0 {
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if ip.Zone() != "" {
		return ip.WithZone("")
	}
	return ip
}

// nonRoutable reports whether ip (already canonical) can say nothing about a
// place: private, loopback, link-local, unspecified, multicast, CGNAT,
// documentation, benchmarking and other special-purpose ranges (RFC 6890 and
// the IANA special-purpose registries). It switches on the first byte rather
// than calling the netip predicates one by one: it runs on every lookup.
func nonRoutable(ip netip.Addr) bool {
	if ip.Is4() {
		b := ip.As4()
		switch b[0] {
		case 0, 10, 127: // "this network", RFC 1918, loopback
			return true
		case 100: // 100.64.0.0/10 CGNAT
			return b[1]&0xc0 == 64
		case 169: // 169.254.0.0/16 link-local
			return b[1] == 254
		case 172: // 172.16.0.0/12 RFC 1918
			return b[1]&0xf0 == 16
		case 192: // 192.168/16 RFC 1918, 192.0.0.0/24 IETF, 192.0.2.0/24 TEST-NET-1
			return b[1] == 168 || b[1] == 0 && (b[2] == 0 || b[2] == 2)
		case 198: // 198.18.0.0/15 benchmarking, 198.51.100.0/24 TEST-NET-2
			return b[1]&0xfe == 18 || b[1] == 51 && b[2] == 100
		case 203: // 203.0.113.0/24 TEST-NET-3
			return b[1] == 0 && b[2] == 113
		}
		return b[0] >= 224 // multicast, 240/4 reserved, broadcast
	}
	b := ip.As16()
	switch b[0] {
	case 0x00: // ::/8: unspecified, loopback, IPv4-compatible, ...
		return true
	case 0x01: // 100::/64 discard-only
		return b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0
	case 0x20:
		return b[1] == 0x01 && (b[2] == 0x0d && b[3] == 0xb8 || // 2001:db8::/32 documentation
			b[2] == 0x00 && b[3] == 0x02 && b[4]|b[5] == 0) // 2001:2::/48 benchmarking
	case 0x3f: // 3fff::/20 documentation (RFC 9637)
		return b[1] == 0xff && b[2]&0xf0 == 0
	case 0xfc, 0xfd, 0xfe, 0xff: // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast
		return true
	}
	return false
}
