package evaluate

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/oschwald/geoip2-golang/v2"

	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/scoring"
)

// EachEvent is a Perturb that rewrites events one at a time; f returns
// false to drop the event.
func EachEvent(f func(*ingest.Event) bool) Perturb {
	return func(next func() (ingest.Event, bool)) func() (ingest.Event, bool) {
		return func() (ingest.Event, bool) {
			for {
				ev, ok := next()
				if !ok || f(&ev) {
					return ev, ok
				}
			}
		}
	}
}

// NoSessionIDs drops every event's session_id.
func NoSessionIDs() Perturb {
	return EachEvent(func(ev *ingest.Event) bool { ev.SessionID = ""; return true })
}

// LoginsOnly drops heartbeats and logouts.
func LoginsOnly() Perturb {
	return EachEvent(func(ev *ingest.Event) bool { return ev.Type == ingest.TypeLogin })
}

// NoUserAgents drops every event's user_agent.
func NoUserAgents() Perturb {
	return EachEvent(func(ev *ingest.Event) bool { ev.UserAgent = ""; return true })
}

// PlainHotelTVs gives in-room TVs that announce a hospitality platform the
// user agent of an ordinary smart TV, as a producer that does not model
// hospitality platforms would.
func PlainHotelTVs() Perturb {
	const tv = "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36"
	return EachEvent(func(ev *ingest.Event) bool {
		if scoring.LodgingUserAgent(ev.UserAgent) {
			ev.UserAgent = tv
		}
		return true
	})
}

// BrowserIDReset gives desktop browsers (Windows, macOS and Linux user
// agents) a new device_id every period, as when cookies are cleared.
func BrowserIDReset(period time.Duration) Perturb {
	return EachEvent(func(ev *ingest.Event) bool {
		ua := ev.UserAgent
		if ev.DeviceID != "" && (strings.Contains(ua, "Windows NT") || strings.Contains(ua, "Macintosh") || strings.Contains(ua, "X11")) {
			ev.DeviceID = fmt.Sprintf("%s-p%d", ev.DeviceID, ev.Time.UnixNano()/int64(period))
		}
		return true
	})
}

// Late delays every event by up to max (a function of its id) and
// delivers the stream in arrival order. It reads the whole stream first.
func Late(max time.Duration) Perturb {
	return func(next func() (ingest.Event, bool)) func() (ingest.Event, bool) {
		type arrival struct {
			at int64
			ev ingest.Event
		}
		var all []arrival
		for ev, ok := next(); ok; ev, ok = next() {
			h := fnv.New64a()
			h.Write([]byte(ev.EventID))
			all = append(all, arrival{ev.Time.UnixNano() + int64(h.Sum64()%uint64(max)), ev})
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
		i := 0
		return func() (ingest.Event, bool) {
			if i == len(all) {
				return ingest.Event{}, false
			}
			i++
			return all[i-1].ev, true
		}
	}
}

// Renumber gives every public IPv4 address a new one inside its GeoIP
// network each period, as an ISP that hands a home line a new address
// every day or every week would. network returns the database network of
// an address (see CityNetworks) and false when it has none. The new
// address is picked by account, original /24 and period, so all of a
// line's addresses in one period become one address. Addresses whose
// network is a /24 or narrower stay (there is nowhere to move them), and
// so do IPv6, private and unknown ones. The rows of real-GeoLite2 results
// with renumbered lines are made with it.
func Renumber(network func(netip.Addr) (netip.Prefix, bool), period time.Duration) Perturb {
	return EachEvent(func(ev *ingest.Event) bool {
		ip := ev.IP.Unmap()
		if !ip.Is4() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
			return true
		}
		n, ok := network(ip)
		if !ok || n.Bits() >= 24 || !n.Addr().Is4() {
			return true
		}
		line, _ := ip.Prefix(24)
		h := fnv.New64a()
		fmt.Fprintf(h, "%s|%s|%d", ev.AccountID, line, ev.Time.UnixNano()/int64(period))
		host := uint32(h.Sum64()) & (1<<(32-n.Bits()) - 1)
		base := n.Masked().Addr().As4()
		v := binary.BigEndian.Uint32(base[:]) | host
		if host == 0 || host == 1<<(32-n.Bits())-1 {
			v ^= 1 // not the network or broadcast address
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v)
		ev.IP = netip.AddrFrom4(b)
		return true
	})
}

// CityNetworks opens a GeoIP2/GeoLite2 City database for Renumber: the
// returned function gives an address's network in it. Close the reader
// when done.
func CityNetworks(path string) (network func(netip.Addr) (netip.Prefix, bool), closer io.Closer, err error) {
	r, err := geoip2.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return func(a netip.Addr) (netip.Prefix, bool) {
		rec, err := r.City(a)
		if err != nil || !rec.Traits.Network.IsValid() || !rec.HasData() {
			return netip.Prefix{}, false
		}
		return rec.Traits.Network, true
	}, r, nil
}
