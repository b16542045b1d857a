package simulate

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/sharewatch/sharewatch/enrich"
)

// TestRealGeoIPObservations prints what real GeoLite2 says about the kinds
// of networks a detector sees: accuracy radius by kind, how often the city
// is missing, where big ISPs' IPv6 ranges geolocate. It only reports; run
// it with SHAREWATCH_REAL_OBS=1 and -v.
func TestRealGeoIPObservations(t *testing.T) {
	if os.Getenv("SHAREWATCH_REAL_OBS") == "" {
		t.Skip("set SHAREWATCH_REAL_OBS=1 (and have real GeoLite2, see scripts/geolite2.sh) to print observations")
	}
	g := realGeoIPForTest(t)
	at, err := readASNTable(g.ASN)
	if err != nil {
		t.Fatal(err)
	}
	db, err := maxminddb.Open(g.City)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kindOf := map[uint32]string{}
	for _, p := range providers {
		if _, ok := kindOf[p.ASN]; !ok || p.Kind == kindMobile {
			kindOf[p.ASN] = p.Kind.String()
		}
	}
	hostingList := enrich.DefaultHostingASNs()
	ours := map[string]bool{}
	for _, c := range countries {
		ours[c.Code] = true
	}
	accEdges := []uint16{5, 10, 20, 50, 100, 200, 500, 1000}
	type agg struct {
		nets, noCity, noCoords int
		addr, addrNoCity       float64
		accN                   [9]int
		accW                   [9]float64
	}
	stats := map[string]*agg{}
	add := func(key string, acc uint16, noCity, noCoords bool, w float64) {
		a := stats[key]
		if a == nil {
			a = &agg{}
			stats[key] = a
		}
		a.nets++
		a.addr += w
		if noCity {
			a.noCity++
			a.addrNoCity += w
		}
		if noCoords {
			a.noCoords++
		}
		i, _ := slices.BinarySearch(accEdges, acc)
		a.accN[i]++
		a.accW[i] += w
	}
	bigV6 := []uint32{7922, 20115, 7018, 3320, 3209, 2856, 5607, 3215, 12322, 1136, 3301, 3303, 4713, 2516, 1221, 21928, 22394}
	type v6agg struct {
		nets, noCity, near int
		pl                 map[int]int
		cities             map[string]int
	}
	v6 := map[uint32]*v6agg{}
	cache := map[uintptr]mmCity{}
	for res := range db.Networks() {
		m, ok := cache[res.Offset()]
		if !ok {
			if err := res.Decode(&m); err != nil {
				t.Fatal(err)
			}
			cache[res.Offset()] = m
		}
		p := res.Prefix()
		fam := "v4"
		w := math.Ldexp(1, 32-p.Bits())
		if p.Addr().Is6() {
			fam = "v6"
			w = math.Ldexp(1, max(0, 48-p.Bits())) // /48s
		}
		noCity := m.City.Names.En == ""
		noCoords := m.Location.Lat == nil
		scope := "other countries"
		if ours[m.Country.ISOCode] {
			scope = "world countries"
		}
		if m.Country.ISOCode == "" {
			scope = "no country"
		}
		add(fam+" all "+scope, m.Location.Acc, noCity, noCoords, w)
		if scope != "world countries" {
			continue
		}
		at.pieces(p, func(q netip.Prefix, asn uint32) {
			k := kindOf[asn]
			if k == "" {
				k = "unlisted"
				if slices.Contains(hostingList, asn) {
					k = "hosting (enrich list)"
				}
			}
			wq := math.Ldexp(1, 32-q.Bits())
			if q.Addr().Is6() {
				wq = math.Ldexp(1, max(0, 48-q.Bits()))
			}
			add(fam+" "+k, m.Location.Acc, noCity, noCoords, wq)
			if fam == "v6" && slices.Contains(bigV6, asn) {
				a := v6[asn]
				if a == nil {
					a = &v6agg{pl: map[int]int{}, cities: map[string]int{}}
					v6[asn] = a
				}
				a.nets++
				a.pl[q.Bits()]++
				if noCity {
					a.noCity++
				} else {
					a.cities[m.City.Names.En]++
				}
				for _, c := range cities {
					if c.Country == m.Country.ISOCode && m.Location.Lat != nil && haversine(*m.Location.Lat, *m.Location.Lon, c.Lat, c.Lon) <= 30 {
						a.near++
						break
					}
				}
			}
		})
	}
	var keys []string
	for k := range stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "\naccuracy_radius (km), share of networks | share of addresses (v4) or /48s (v6)\n")
	fmt.Fprintf(&b, "%-34s %9s %7s %7s  %s\n", "kind", "networks", "nocity", "nocity", "<=5 <=10 <=20 <=50 <=100 <=200 <=500 <=1000 >1000 (networks) || same by addresses")
	for _, k := range keys {
		a := stats[k]
		fmt.Fprintf(&b, "%-34s %9d %6.1f%% %6.1f%%  ", k, a.nets, 100*float64(a.noCity)/float64(a.nets), 100*a.addrNoCity/a.addr)
		for _, n := range a.accN {
			fmt.Fprintf(&b, "%4.0f ", 100*float64(n)/float64(a.nets))
		}
		b.WriteString("|| ")
		for _, x := range a.accW {
			fmt.Fprintf(&b, "%4.0f ", 100*x/a.addr)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nIPv6 of big ISPs and carriers (networks in the world's countries)\n")
	for _, asn := range bigV6 {
		a := v6[asn]
		if a == nil {
			fmt.Fprintf(&b, "AS%-6d %-40.40s no IPv6 networks\n", asn, at.orgs[asn])
			continue
		}
		type kv struct {
			k string
			v int
		}
		var top []kv
		for k, v := range a.cities {
			top = append(top, kv{k, v})
		}
		slices.SortFunc(top, func(x, y kv) int {
			if x.v != y.v {
				return y.v - x.v
			}
			return strings.Compare(x.k, y.k)
		})
		var ts []string
		for _, x := range top[:min(5, len(top))] {
			ts = append(ts, fmt.Sprintf("%s %d", x.k, x.v))
		}
		var pls []string
		for _, bits := range []int{32, 40, 44, 48, 56, 64} {
			pls = append(pls, fmt.Sprintf("/%d:%d", bits, a.pl[bits]))
		}
		fmt.Fprintf(&b, "AS%-6d %-30.30s nets %6d nocity %5.1f%% near-world-city %5.1f%% distinct cities %4d  %s  top: %s\n",
			asn, at.orgs[asn], a.nets, 100*float64(a.noCity)/float64(a.nets), 100*float64(a.near)/float64(a.nets), len(a.cities), strings.Join(pls, " "), strings.Join(ts, ", "))
	}
	t.Log(b.String())
}
