package main

// Loading real GeoLite2 City + ASN data into pools of IP networks.
//
// We walk every network of the City DB (IPv4 and, unless disabled, IPv6),
// keep those in the countries we use, look up the ASN of the network's first
// address and classify the ASN organisation as residential ISP, mobile carrier,
// hosting provider or other. The result is, per city, the list of networks of
// each ISP; per country, the mobile carriers' networks (with the city they
// geolocate to, or none when the DB only knows the country) and the hosting
// networks used as VPN exits.

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

type Class uint8

const (
	ClsOther Class = iota
	ClsRes
	ClsMobile
	ClsHosting
	ClsTransit
)

func (c Class) String() string {
	return [...]string{"other", "res", "mobile", "hosting", "transit"}[c]
}

type Net struct {
	IP   [16]byte // v4 stored in the first 4 bytes
	Bits uint8
	V6   bool
	ASN  uint32
	City int32 // index into Geo.Cities; -1 when only the country is known
}

type ASNInfo struct {
	Org   string
	Class Class
}

type City struct {
	Name     string
	Country  string
	Lat, Lon float64
	TZ       string
	// networks of residential-looking ISPs, grouped by ASN
	Res     map[uint32][]int32 // ASN -> indices into Geo.Nets
	ResASNs []uint32           // sorted, for determinism
	ResW    []float64          // weight per ResASNs entry (number of v4 nets)
	Any     []int32            // non-hosting networks of any ISP (hotels, guest wifi)
	Mobile  []int32
	Weight  float64 // number of residential v4 networks: our population proxy
}

type Country struct {
	ISO      string
	Cities   []int32 // cities with at least a few residential networks
	CityW    []float64
	Carriers []uint32           // mobile ASNs, sorted
	CarrierW []float64          // weights
	CarrierN map[uint32][]int32 // all networks of that carrier in the country
	Hosting  []int32            // hosting networks (VPN exits)
	HostASNs map[uint32][]int32
}

type Geo struct {
	Nets      []Net
	ASNs      map[uint32]*ASNInfo
	Cities    []*City
	cityIdx   map[uint32]int32
	Countries map[string]*Country
}

var (
	reHosting = regexp.MustCompile(`(?i)digitalocean|\bovh|m247|datacamp|hetzner|linode|akamai|amazon|choopa|vultr|hosting|server|cloud|\bvpn|leaseweb|contabo|google|microsoft|oracle|data ?cent(er|re)|colo(cation|crossing)|zenlayer|psychz|clouvider|ionos|scaleway|online s\.a\.s|worldstream|hostinger|packethub|tzulo|quadranet|cogent|hurricane|level 3|lumen|zscaler|cloudflare|fastly|incapsula|limestone|serverius|nforce|i3d|gcore|g-core|creanova|cdn77|datapacket|hostroyale|ipxo|alibaba|tencent|sakura internet|xneelo|\bhost|\bvps`)
	reRes     = regexp.MustCompile(`(?i)telecom|telekom|telecommunication|communications|cable|broadband|fib(er|re)|\bdsl|internet|\bnet\b|comcast|charter|spectrum|cox |verizon|at&t|at-t|centurylink|frontier|windstream|mediacom|altice|optimum|suddenlink|wow|rcn|sonic|google fiber|deutsche telekom|versatel|netcologne|m-net|ewe|pyur|tele columbus|kabel|unitymedia|british telecom|\bbt\b|sky |virgin|talktalk|plusnet|hyperoptic|community fibre|\bfree\b|proxad|bouygues|\bsfr|\bnc numericable|telia|bahnhof|com hem|bredband|ownit|\bkpn|ziggo|vodafonezigo|delta|caiway|\bupc|netia|vectra|multimedia|inea|fastweb|wind tre|tiscali|iliad|eolo|telmex|totalplay|izzi|megacable|axtel|telefonica|movistar|masorange|jazztel|digi spain|euskaltel|telecable|r cable|rogers|bell canada|shaw|videotron|cogeco|telus|eastlink|telstra|optus|tpg|iinet|aussie broadband|vocus|superloop|ntt|kddi|softbank|so-net|biglobe|nifty|jcom|j:com|k-opticom|bsnl|airtel|jio|act fibernet|hathway|you broadband|tikona|excitel|spectra|den networks|oi s\.?a|vivo|claro|net servi|brisanet|algar|sercomtel|desktop|ligga|copel|\bisp\b|provedor|telecomunica|servicos de comunica|proveedor|swisscom|sunrise|a1 telekom|magenta|proximus|telenet|\bvoo\b|nos comunica|meo|vodafone|orange|\bo2\b|three|eir|virgin media|spark|one nz|chorus|tele2|telenor|elisa|dna oyj|stofa|yousee|tdc|nuuday|\bglobe|pldt|true internet|3bb|tot public|viettel|fpt|vnpt|indihome|biznet|first media|singtel|starhub|myrepublic|unifi|tm net|time dotcom|etisalat|\bdu\b|stc|turk telekom|superonline|turknet|rostelecom|er-telecom|mts|beeline|kyivstar|ukrtelecom`)
	reNotRes  = regexp.MustCompile(`(?i)universit|college|school|educa|research|government|ministry|bank|hospital|federal|national laboratory|county of|city of|department|military|defense|\bdod\b|academ|institut`)
)

var reTransit = regexp.MustCompile(`(?i)\bgtt\b|tata communications|colt technology|sparkle|cogent|hurricane|level 3|lumen|arelion|zayo|ntt america|global backbone|anycast|retelit|\bapple\b|space exploration|internet initiative|national institute`)

// multinational names that are residential only in their home market
var homeMarket = map[string]string{"AT&T Enterprises": "US", "Verizon Business": "US", "British Telecommunications": "GB", "Charter": "US", "Comcast": "US"}

// ASN overrides where the name does not tell
var asnOverride = map[uint32]Class{
	22394: ClsMobile, // Verizon Wireless (Cellco)
	6167:  ClsMobile, // Verizon Wireless
	20057: ClsMobile, // AT&T Mobility
	3269:  ClsMobile, // TIM (integrated, also fixed)
	50266: ClsMobile, // Odido NL (ex T-Mobile), also fixed
	44034: ClsMobile, // Hi3G (Tre SE)
	17676: ClsMobile, // SoftBank (integrated)
	8151:  ClsRes,    // Telmex UNINET
	8167:  ClsRes,    // V.tal (Oi fixed)
	12083: ClsRes,    // WideOpenWest
	10143: ClsRes,    // Exetel
	4739:  ClsRes,    // Internode
	5645:  ClsRes,    // TekSavvy
	60294: ClsRes,    // Deutsche Glasfaser
	15943: ClsRes,    // wilhelm.tel
	17511: ClsRes,    // OPTAGE
	2519:  ClsRes,    // ARTERIA
	16342: ClsRes,    // Toya
	20804: ClsOther,  // Exatel
}

// classifyIn applies the home-market rule on top of classify.
func classifyIn(asn uint32, org, cc string) Class {
	if home, ok := mobileASN[asn]; ok {
		if home == cc {
			return ClsMobile
		}
		if integratedASN[asn] {
			return ClsRes
		}
		return ClsTransit
	}
	if c, ok := asnOverride[asn]; ok {
		return c
	}
	c := classify(org)
	if c == ClsRes {
		for k, home := range homeMarket {
			if strings.Contains(org, k) && cc != home {
				return ClsTransit
			}
		}
	}
	return c
}

func classify(org string) Class {
	switch {
	case org == "":
		return ClsOther
	case reTransit.MatchString(org):
		return ClsTransit
	case reHosting.MatchString(org):
		return ClsHosting
	case reNotRes.MatchString(org):
		return ClsTransit
	case reRes.MatchString(org):
		return ClsRes
	}
	return ClsOther
}

// Mobile carriers: a curated list of the big carriers' ASNs per country
// (name matching catches too many fixed-wireless ISPs and M2M resellers).
// Integrated operators (fixed + mobile on the same ASN) are listed in
// integratedASN and serve both as residential ISP and as carrier.
var mobileASN = map[uint32]string{
	21928: "US", 22394: "US", 6167: "US", 20057: "US", // US T-Mobile, Verizon Wireless, AT&T Mobility
	812: "CA", 36522: "CA", 852: "CA", // CA Rogers, Bell Mobility, TELUS
	25135: "GB", 5378: "GB", 12576: "GB", 206067: "GB", 35228: "GB", // GB Vodafone, EE, Three, O2
	3320: "DE", 3209: "DE", 6805: "DE", // DE Telekom, Vodafone, Telefonica
	3215: "FR", 15557: "FR", 5410: "FR", 51207: "FR", // FR Orange, SFR, Bouygues, Free Mobile
	12479: "ES", 12430: "ES", 3352: "ES", 57269: "ES", // ES
	3269: "IT", 1267: "IT", 24608: "IT", 30722: "IT", // IT TIM, WindTre, Vodafone IT
	33915: "NL", 50266: "NL", 1136: "NL", // NL
	3301: "SE", 1257: "SE", 8434: "SE", 33885: "SE", 44034: "SE", // SE
	5617: "PL", 9141: "PL", 39603: "PL", 31242: "PL", 12912: "PL", 8374: "PL", // PL
	26599: "BR", 27699: "BR", 18881: "BR", 28573: "BR", 26615: "BR", // BR
	55836: "IN", 45609: "IN", 9498: "IN", 55410: "IN", 38266: "IN", // IN
	1221: "AU", 7474: "AU", 4804: "AU", 133612: "AU", // AU
	9605: "JP", 2516: "JP", 17676: "JP", 138384: "JP", // JP
	28403: "MX", 28469: "MX", // MX
}

var integratedASN = map[uint32]bool{3320: true, 3209: true, 3215: true, 15557: true, 5410: true, 3352: true,
	3269: true, 1136: true, 3301: true, 1257: true, 5617: true, 28573: true, 852: true, 17676: true, 2516: true,
	1221: true, 7474: true, 55836: true, 9498: true, 50266: true, 6805: true, 12479: true, 12430: true,
	57269: true, 30722: true, 8374: true, 26599: true, 27699: true, 18881: true}

// VPN exits: hosting providers commercial VPNs actually rent from.
var reVPN = regexp.MustCompile(`(?i)digitalocean|\bovh|m247|datacamp|hetzner|linode|amazon|choopa|vultr|leaseweb|contabo|scaleway|clouvider|zenlayer|packethub|cdn77|datapacket|hostroyale|ipxo|servers\.com|iomart|g-core|gcore|\bhosting|server|\bvpn|obehosting|cloudflare|tzulo|quadranet|creanova|serverius|nforce|worldstream|hostinger|ionos`)

type cityRec struct {
	City struct {
		GeoNameID uint32 `maxminddb:"geoname_id"`
		Names     struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		ISO string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Location struct {
		Lat float64 `maxminddb:"latitude"`
		Lon float64 `maxminddb:"longitude"`
		TZ  string  `maxminddb:"time_zone"`
	} `maxminddb:"location"`
}

type asnRec struct {
	Num uint32 `maxminddb:"autonomous_system_number"`
	Org string `maxminddb:"autonomous_system_organization"`
}

// LoadGeo reads both databases. Only networks in the given countries are kept.
func LoadGeo(cityPath, asnPath string, countries map[string]bool, withV6 bool) (*Geo, error) {
	cr, err := maxminddb.Open(cityPath)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	ar, err := maxminddb.Open(asnPath)
	if err != nil {
		return nil, err
	}
	defer ar.Close()

	g := &Geo{ASNs: map[uint32]*ASNInfo{}, cityIdx: map[uint32]int32{}, Countries: map[string]*Country{}}
	asnCache := map[uintptr]asnRec{}
	type clsKey struct {
		asn uint32
		cc  string
	}
	clsCache := map[clsKey]Class{}
	// Networks skips the IPv4 aliases (::ffff:0:0/96, 2001::/32, 2002::/16)
	// by default, like v1's SkipAliasedNetworks, returns IPv4 networks as
	// IPv4 prefixes and walks the tree in the same order (ascending
	// addresses), so networks and cities get the same indices as with v1.
	var rec cityRec
	for res := range cr.Networks() {
		rec = cityRec{}
		if err := res.Decode(&rec); err != nil {
			return nil, err
		}
		if !countries[rec.Country.ISO] {
			continue
		}
		pfx := res.Prefix()
		addr := pfx.Addr()
		v6 := !addr.Is4()
		if v6 && !withV6 {
			continue
		}
		ones := pfx.Bits()
		if v6 && (ones > 64 || ones < 20) {
			continue // need room for a /64 per home; skip giant blocks
		}
		if !v6 && ones > 30 {
			continue
		}
		ares := ar.Lookup(addr)
		if ares.Err() != nil || !ares.Found() {
			continue
		}
		off := ares.Offset()
		a, ok := asnCache[off]
		if !ok {
			if err := ares.Decode(&a); err != nil {
				continue
			}
			asnCache[off] = a
		}
		if a.Num == 0 {
			continue
		}
		info := g.ASNs[a.Num]
		if info == nil {
			info = &ASNInfo{Org: a.Org, Class: classifyIn(a.Num, a.Org, "US")}
			g.ASNs[a.Num] = info
		}
		ck := clsKey{a.Num, rec.Country.ISO}
		cls, ok := clsCache[ck]
		if !ok {
			cls = classifyIn(a.Num, a.Org, rec.Country.ISO)
			if cls == ClsHosting && !reVPN.MatchString(a.Org) {
				cls = ClsTransit // CDN / big cloud edge: not a VPN exit, not a home
			}
			clsCache[ck] = cls
		}
		ct := g.Countries[rec.Country.ISO]
		if ct == nil {
			ct = &Country{ISO: rec.Country.ISO, CarrierN: map[uint32][]int32{}, HostASNs: map[uint32][]int32{}}
			g.Countries[rec.Country.ISO] = ct
		}
		cityI := int32(-1)
		if rec.City.GeoNameID != 0 && rec.City.Names.En != "" && rec.Location.TZ != "" {
			ci, ok := g.cityIdx[rec.City.GeoNameID]
			if !ok {
				ci = int32(len(g.Cities))
				g.cityIdx[rec.City.GeoNameID] = ci
				g.Cities = append(g.Cities, &City{Name: rec.City.Names.En, Country: rec.Country.ISO,
					Lat: rec.Location.Lat, Lon: rec.Location.Lon, TZ: rec.Location.TZ, Res: map[uint32][]int32{}})
			}
			cityI = ci
		}
		var nt Net
		copy(nt.IP[:], addr.AsSlice()) // 4 bytes for IPv4, 16 for IPv6
		nt.Bits, nt.V6, nt.ASN, nt.City = uint8(ones), v6, a.Num, cityI
		idx := int32(len(g.Nets))
		g.Nets = append(g.Nets, nt)

		switch cls {
		case ClsHosting:
			ct.Hosting = append(ct.Hosting, idx)
			ct.HostASNs[a.Num] = append(ct.HostASNs[a.Num], idx)
			continue
		case ClsTransit:
			continue
		case ClsMobile:
			ct.CarrierN[a.Num] = append(ct.CarrierN[a.Num], idx)
		}
		if cityI < 0 {
			continue
		}
		c := g.Cities[cityI]
		c.Any = append(c.Any, idx)
		if cls == ClsMobile {
			c.Mobile = append(c.Mobile, idx)
		}
		if cls == ClsRes || (cls == ClsMobile && integratedASN[a.Num]) {
			c.Res[a.Num] = append(c.Res[a.Num], idx)
			if !v6 {
				c.Weight++
			}
		}
	}
	g.finish()
	return g, nil
}

func (g *Geo) finish() {
	for _, c := range g.Cities {
		for a, nets := range c.Res {
			if g.v4Count(nets) == 0 {
				continue // a home needs an IPv4 line
			}
			c.ResASNs = append(c.ResASNs, a)
		}
		sort.Slice(c.ResASNs, func(i, j int) bool { return c.ResASNs[i] < c.ResASNs[j] })
		for _, a := range c.ResASNs {
			c.ResW = append(c.ResW, float64(g.v4Count(c.Res[a])))
		}
	}
	for ci, c := range g.Cities {
		if len(c.ResASNs) == 0 || c.Weight < 3 {
			continue
		}
		ct := g.Countries[c.Country]
		ct.Cities = append(ct.Cities, int32(ci))
		// population proxy: residential network count, damped so that the
		// capital does not take everything
		ct.CityW = append(ct.CityW, math.Pow(c.Weight, 0.9))
	}
	for _, ct := range g.Countries {
		for a, nets := range ct.CarrierN {
			if g.v4Count(nets) >= 5 {
				ct.Carriers = append(ct.Carriers, a)
			}
		}
		sort.Slice(ct.Carriers, func(i, j int) bool { return ct.Carriers[i] < ct.Carriers[j] })
		for _, a := range ct.Carriers {
			ct.CarrierW = append(ct.CarrierW, math.Sqrt(float64(len(ct.CarrierN[a]))))
		}
	}
}

// v4Count is how many of the networks nets (indices into g.Nets) are IPv4.
func (g *Geo) v4Count(nets []int32) int {
	n := 0
	for _, ni := range nets {
		if !g.Nets[ni].V6 {
			n++
		}
	}
	return n
}

// DumpOrgs prints the biggest ASNs per class and country, to check the
// classification by eye.
func (g *Geo) DumpOrgs() {
	type k struct {
		cc  string
		asn uint32
	}
	cnt := map[k]int{}
	for _, n := range g.Nets {
		cc := "??"
		if n.City >= 0 {
			cc = g.Cities[n.City].Country
		}
		cnt[k{cc, n.ASN}]++
	}
	keys := make([]k, 0, len(cnt))
	for kk := range cnt {
		keys = append(keys, kk)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].cc != keys[j].cc {
			return keys[i].cc < keys[j].cc
		}
		return cnt[keys[i]] > cnt[keys[j]]
	})
	shown := map[string]int{}
	for _, kk := range keys {
		if shown[kk.cc] >= 25 {
			continue
		}
		shown[kk.cc]++
		in := g.ASNs[kk.asn]
		fmt.Fprintf(os.Stderr, "%s %-8s %6d AS%d %s\n", kk.cc, in.Class, cnt[kk], kk.asn, strings.TrimSpace(in.Org))
	}
	for cc, ct := range g.Countries {
		fmt.Fprintf(os.Stderr, "%s cities=%d carriers=%d hosting=%d\n", cc, len(ct.Cities), len(ct.Carriers), len(ct.Hosting))
		for i, a := range ct.Carriers {
			fmt.Fprintf(os.Stderr, "   carrier %.1f AS%d %s\n", ct.CarrierW[i], a, g.ASNs[a].Org)
		}
		type hw struct {
			a uint32
			n int
		}
		var hs []hw
		for a, l := range ct.HostASNs {
			hs = append(hs, hw{a, len(l)})
		}
		sort.Slice(hs, func(i, j int) bool { return hs[i].n > hs[j].n })
		for i := 0; i < len(hs) && i < 8; i++ {
			fmt.Fprintf(os.Stderr, "   host %d AS%d %s\n", hs[i].n, hs[i].a, g.ASNs[hs[i].a].Org)
		}
		// top cities
		type cw struct {
			i int32
			w float64
		}
		var cs []cw
		for i, c := range ct.Cities {
			cs = append(cs, cw{c, ct.CityW[i]})
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].w > cs[j].w })
		for i := 0; i < len(cs) && i < 6; i++ {
			c := g.Cities[cs[i].i]
			fmt.Fprintf(os.Stderr, "   city %.0f %s isps=%d %s\n", cs[i].w, c.Name, len(c.ResASNs), c.TZ)
		}
	}
}
