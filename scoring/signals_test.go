package scoring

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDistanceKM(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64
	}{
		{"same point", 59.33, 18.07, 59.33, 18.07, 0, 1e-9},
		{"Stockholm-Gothenburg", 59.3293, 18.0686, 57.7089, 11.9746, 398, 5},
		{"London-New York", 51.5074, -0.1278, 40.7128, -74.0060, 5570, 15},
		{"antipodes", 0, 0, 0, 180, math.Pi * earthRadiusKM, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DistanceKM(tc.lat1, tc.lon1, tc.lat2, tc.lon2); math.Abs(got-tc.want) > tc.tol {
				t.Errorf("DistanceKM = %.1f, want %.1f±%.0f", got, tc.want, tc.tol)
			}
		})
	}
}

func TestSeparationAndImpliedSpeed(t *testing.T) {
	tests := []struct {
		name       string
		dist       float64
		accA, accB uint16
		dt         float64
		wantSep    float64
		wantSpeed  float64
	}{
		{"circles overlap: no separation, no speed", 150, 100, 100, 60, 0, 0},
		{"coarse carrier geolocation hides a 300 km jump", 300, 200, 200, 300, 0, 0},
		{"precise points 500 km apart in an hour", 500, 5, 5, 3600, 490, 490},
		{"no time passed", 500, 5, 5, 0, 490, math.Inf(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SeparationKM(tc.dist, tc.accA, tc.accB); got != tc.wantSep {
				t.Errorf("SeparationKM = %v, want %v", got, tc.wantSep)
			}
			if got := ImpliedSpeedKMH(tc.dist, tc.accA, tc.accB, tc.dt); got != tc.wantSpeed {
				t.Errorf("ImpliedSpeedKMH = %v, want %v", got, tc.wantSpeed)
			}
		})
	}
}

func TestTravelSeconds(t *testing.T) {
	tests := []struct {
		name       string
		dist       float64
		accA, accB uint16
		wantHours  float64
	}{
		{"same spot: an hour to leave and settle", 0, 5, 5, 1},
		{"radii overlap: no distance to cover", 150, 100, 100, 1},
		{"two homes 216 km apart: by road", 216, 0, 0, 1 + 2.16},
		{"Stockholm-Malmö, 520 km: flying is faster", 520, 10, 10, 1 + 2 + 500.0/800},
		{"San Antonio-Fayetteville, 2500 km: a flight", 2500, 0, 0, 1 + 2 + 2500.0/800},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := TravelSeconds(tc.dist, tc.accA, tc.accB) / 3600; math.Abs(got-tc.wantHours) > 1e-9 {
				t.Errorf("TravelSeconds = %.3f h, want %.3f h", got, tc.wantHours)
			}
		})
	}
}

func TestDayset(t *testing.T) {
	var d dayset
	for _, day := range []int32{100, 101, 105, 105, 99} {
		d.add(day)
	}
	if d.total() != 4 {
		t.Fatalf("total = %d, want 4 distinct days", d.total())
	}
	if !d.has(99) || !d.has(105) || d.has(102) {
		t.Errorf("has() wrong: %b", d.bits)
	}
	if got := d.count(105, 3); got != 1 {
		t.Errorf("count(105, 3) = %d, want 1 (only day 105)", got)
	}
	if got := d.count(110, 14); got != 4 {
		t.Errorf("count(110, 14) = %d, want 4", got)
	}
	if got := spanOf(d.window(105, 28)); got != 7 {
		t.Errorf("span = %d, want 7 (days 99..105)", got)
	}
	if got := d.first(); got != 99 {
		t.Errorf("first = %d, want 99", got)
	}
	var empty dayset
	if got := empty.first(); got != math.MaxInt32 {
		t.Errorf("first of an empty set = %d, want MaxInt32", got)
	}
	d.add(105 + 70) // far in the future: older days fall out of the 64-day window
	if d.total() != 1 {
		t.Errorf("after a 70-day jump total = %d, want 1", d.total())
	}
}

// graph builds an account with places and device-place edges, each edge
// seen on the given days.
type graphEdge struct {
	dev, place int
	days       []int32
}

func buildAccount(places []place, edges []graphEdge, devices int) *account {
	a := &account{}
	for i := 0; i < devices; i++ {
		a.devices = append(a.devices, device{id: uint64(i + 1)})
	}
	for _, p := range places {
		p.used = true
		a.places = append(a.places, p)
	}
	for _, e := range edges {
		for _, d := range e.days {
			a.touchEdge(e.dev, e.place, d, int64(d)*86400+72000)
			a.places[e.place].days.add(d)
			a.devices[e.dev].days.add(d)
		}
	}
	return a
}

func TestHouseholdsAndLinks(t *testing.T) {
	home := place{key: 1, asn: 3301, lat: 59.33, lon: 18.07, acc: 20, located: true, country: "SE"}
	friend := place{key: 2, asn: 3301, lat: 55.60, lon: 13.00, acc: 10, located: true, country: "SE"}
	hotel := place{key: 3, asn: 2119, lat: 57.71, lon: 11.97, acc: 10, located: true, country: "SE"}
	now := int64(20)*86400 + 80000
	bridge := int64(48 * 3600)

	t.Run("friend household is separate and unlinked", func(t *testing.T) {
		a := buildAccount([]place{home, friend}, []graphEdge{
			{0, 0, []int32{1, 2, 3, 10, 20}}, {1, 0, []int32{2, 5, 19}}, // household
			{2, 1, []int32{4, 8, 12, 19}}, // friend's TV
		}, 3)
		c := a.households(now, bridge)
		if c.device(0) == c.device(2) {
			t.Fatal("friend's device joined the owner's household")
		}
		hs := a.householdSummary(c, 20, 28)
		if hs[0].root != c.device(0) {
			t.Errorf("primary household is not the owner's")
		}
		if len(hs) != 2 || hs[1].explained || !hs[1].anchored {
			t.Errorf("want an anchored, unexplained second household, got %+v", hs)
		}
	})
	t.Run("owner visiting the friend once does not link the households", func(t *testing.T) {
		a := buildAccount([]place{home, friend}, []graphEdge{
			{0, 0, []int32{1, 2, 3, 10, 19, 20}}, {0, 1, []int32{6}}, // owner's phone at the friend's once
			{2, 1, []int32{4, 8, 12, 19}},
		}, 3)
		a.places[0].conflicts.add(19) // the friend streamed while the owner did
		a.places[1].conflicts.add(19)
		c := a.households(now, bridge)
		hs := a.householdSummary(c, 20, 28)
		if len(hs) < 2 || hs[1].explained {
			t.Errorf("a visit by the owner explained the friend's household: %+v", hs)
		}
	})
	t.Run("a place the owner goes to, never in use while the household is, is the owner's other home", func(t *testing.T) {
		house := place{key: 4, asn: 2119, lat: 59.76, lon: 18.70, acc: 20, located: true, country: "SE"}
		a := buildAccount([]place{home, house}, []graphEdge{
			{0, 0, []int32{1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18}}, // the flat's TV, on weekdays
			{1, 0, []int32{2, 9, 16}}, {1, 1, []int32{5}}, // the phone, at the house one weekend
			{2, 1, []int32{5, 6, 12, 13, 19, 20}}, // the house's TV, on weekends
		}, 3)
		c := a.households(now, bridge)
		hs := a.householdSummary(c, 20, 28)
		if len(hs) < 2 || !hs[1].explained {
			t.Errorf("the weekend house is not explained: %+v", hs)
		}
		a.places[0].conflicts.add(13) // somebody streamed at both at once
		a.places[1].conflicts.add(13)
		hs = a.householdSummary(c, 20, 28)
		if len(hs) < 2 || hs[1].explained {
			t.Errorf("a house in use while the household streams is explained: %+v", hs)
		}
	})
	t.Run("a traveller's device seen at home explains the hotel", func(t *testing.T) {
		a := buildAccount([]place{home, hotel}, []graphEdge{
			{0, 0, []int32{1, 2, 3, 10, 20}}, // family TV
			{1, 0, []int32{9}},               // owner's phone at home once, before the trip
			{1, 1, []int32{12, 13, 14}},      // the phone at the hotel
			{2, 1, []int32{12, 13}},          // hotel TV
		}, 3)
		c := a.households(now, bridge)
		hs := a.householdSummary(c, 20, 28)
		for _, h := range hs[1:] {
			if h.devices&(1<<2) != 0 && !h.explained {
				t.Errorf("the hotel household is not explained by the owner's phone: %+v", hs)
			}
		}
	})
	t.Run("devices that came from home explain it while they are away longer", func(t *testing.T) {
		a := buildAccount([]place{home, hotel}, []graphEdge{
			{0, 0, []int32{1, 2, 3, 4, 9, 14}},     // the TV left at home
			{1, 0, []int32{2}}, {2, 0, []int32{3}}, // laptop and phone, at home once each
			{1, 1, []int32{5, 6, 7, 8, 9, 10, 11, 12, 13}}, {2, 1, []int32{5, 6, 7, 8, 9, 10, 11, 12, 13}},
		}, 3)
		c := a.households(14*86400+80000, bridge)
		hs := a.householdSummary(c, 14, 28)
		if len(hs) < 2 || hs[0].root != c.place(1) {
			t.Fatalf("want the stay, with more place-days, ranked first: %+v", hs)
		}
		if !hs[1].explained {
			t.Errorf("the home the travelling devices came from is not explained: %+v", hs)
		}
	})
	t.Run("a device first seen on a far network of the other household's ISP did not come from there", func(t *testing.T) {
		// The owner's phone first streams on an IPv6 network that the
		// dual-stack pairing joins to a friend's IPv4 line of the same
		// ISP far away; it did not come from the friend's home.
		friendV4 := place{key: 20, asn: 20115, lat: 29.42, lon: -98.49, acc: 10, located: true, country: "US", firstSeen: 7 * 86400}
		oldV6 := place{key: 21, asn: 20115, lat: 34.05, lon: -118.24, acc: 100, located: true, country: "US", v6: true, firstSeen: 5 * 86400}
		homeV4 := place{key: 22, asn: 20115, lat: 34.05, lon: -118.24, acc: 10, located: true, country: "US", firstSeen: 86400}
		homeV6 := place{key: 23, asn: 20115, lat: 34.05, lon: -118.24, acc: 100, located: true, country: "US", v6: true, firstSeen: 14 * 86400}
		a := buildAccount([]place{friendV4, oldV6, homeV4, homeV6}, []graphEdge{
			{0, 2, []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}}, // the owner's TV
			{1, 1, []int32{5}}, {1, 3, []int32{14, 16, 18, 20}}, // the owner's phone
			{2, 0, []int32{7, 9, 11, 13, 15, 17, 19}}, // the friend's TV
		}, 3)
		for d := int32(7); d < 20; d += 2 { // the friend streams while the owner does
			a.places[0].conflicts.add(d)
			a.places[2].conflicts.add(d)
		}
		c := a.households(now, bridge)
		hs := a.householdSummary(c, 20, 28)
		if c.place(1) != c.place(0) {
			t.Skip("the IPv6 network was not paired with the friend's line; nothing to check")
		}
		for _, h := range hs[1:] {
			if h.devices&(1<<2) != 0 && h.explained {
				t.Errorf("the friend's household is explained by the owner's phone's first network: %+v", hs)
			}
		}
	})
	t.Run("a friend on the owner's ISP in another city is not the far IPv6 side of the owner's line", func(t *testing.T) {
		ownerV4 := place{key: 30, asn: 7018, lat: 35.78, lon: -78.64, acc: 20, located: true, country: "US"}
		friendV6 := place{key: 31, asn: 7018, lat: 34.73, lon: -86.59, acc: 10, located: true, country: "US", v6: true, firstSeen: 86400}
		friendV4 := place{key: 32, asn: 7018, lat: 34.73, lon: -86.59, acc: 10, located: true, country: "US", firstSeen: 3 * 86400}
		build := func(v4Days []int32) *account {
			edges := []graphEdge{
				{0, 0, []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}}, // the owner's TV
				{1, 1, []int32{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}},                                    // the friend's phone on IPv6
			}
			if v4Days != nil {
				edges = append(edges, graphEdge{1, 2, v4Days}) // and on the friend's IPv4
			}
			a := buildAccount([]place{ownerV4, friendV6, friendV4}, edges, 2)
			for _, e := range edges {
				a.places[e.place].devs |= 1 << uint(e.dev)
			}
			return a
		}
		if c := build(nil).households(now, bridge); c.place(0) != c.place(1) {
			t.Fatal("without the friend's IPv4 line, the far IPv6 network that appeared with the owner's line is not paired with it; the test shows nothing")
		}
		if c := build([]int32{3}).households(now, bridge); c.place(0) != c.place(1) {
			t.Error("one day on an IPv4 line near the IPv6 network (a visit) undid the pairing")
		}
		c := build([]int32{3, 9}).households(now, bridge)
		if c.place(0) == c.place(1) {
			t.Error("the friend's IPv6 network, whose devices use an IPv4 line of the ISP beside it, was paired with the owner's line 700 km away")
		}
		if c.place(1) != c.place(2) {
			t.Error("the friend's IPv6 network is not paired with the friend's own IPv4 line")
		}
	})
	t.Run("a household abroad whose phone roams on a carrier of the owner's country is the owner's", func(t *testing.T) {
		rome := place{key: 40, asn: 3269, lat: 41.89, lon: 12.48, acc: 20, located: true, country: "IT"}
		carrier := place{key: 41, asn: 1257, country: "SE", acc: 1000} // a Swedish carrier, geolocated to the country
		build := func(roams bool) (*account, []household) {
			edges := []graphEdge{
				{0, 0, []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}}, // the family's TV at home
				{1, 1, []int32{12, 13, 14}}, {2, 1, []int32{12, 13}},           // a phone and the hotel's TV in Rome
			}
			if roams {
				edges = append(edges, graphEdge{1, 2, []int32{13}}) // the phone on its Swedish carrier
			}
			a := buildAccount([]place{home, rome, carrier}, edges, 3)
			c := a.households(14*86400+80000, bridge)
			return a, a.householdSummary(c, 14, 28)
		}
		_, hs := build(false)
		if len(hs) < 2 || hs[1].explained || !hs[1].anchored {
			t.Fatalf("without roaming the stay in Rome should be an unexplained household: %+v", hs)
		}
		_, hs = build(true)
		for _, h := range hs[1:] {
			if h.devices&(1<<2) != 0 && !h.explained {
				t.Errorf("the household in Rome, whose phone roams on a Swedish carrier, is not explained: %+v", hs)
			}
		}
	})
	t.Run("dual-stack lines of one ISP are one household", func(t *testing.T) {
		v6 := home
		v6.key, v6.v6, v6.lat, v6.lon, v6.acc = 9, true, 59.91, 10.75, 100 // IPv6 geolocated to another capital
		v6.firstSeen = 86400
		h4 := home
		h4.firstSeen = 86400 * 2
		a := buildAccount([]place{h4, v6}, []graphEdge{
			{0, 0, []int32{1, 2, 3}}, // v4-only TV
			{1, 1, []int32{1, 2, 3}}, // phones on v6
		}, 2)
		c := a.households(now, bridge)
		if c.place(0) != c.place(1) {
			t.Error("IPv4 and IPv6 lines of one ISP that appeared together are not one household")
		}
	})
	t.Run("an ISP the account hops around in anchors nothing", func(t *testing.T) {
		var ps []place
		var es []graphEdge
		for i := 0; i < 6; i++ {
			ps = append(ps, place{key: uint64(100 + i), asn: 26615, located: true})
			es = append(es, graphEdge{0, i, []int32{int32(i), int32(i + 7)}})
		}
		a := buildAccount(ps, es, 1)
		c := a.households(13*86400, 0)
		for p := range a.places {
			if a.anchor(c, p) {
				t.Errorf("carrier address %d anchors a household", p)
			}
		}
	})
}

func TestAwayDays(t *testing.T) {
	bitsOf := func(days ...int) uint64 {
		var b uint64
		for _, d := range days {
			b |= 1 << uint(d)
		}
		return b
	}
	tests := []struct {
		name        string
		home, visit uint64 // bit i = i days ago
		want        uint64
	}{
		{"no visit", bitsOf(0, 1, 2), 0, 0},
		{"a trip: home until 9 days ago, away 8..4, back 3 days ago", bitsOf(3, 9, 10), bitsOf(6), bitsOf(3, 4, 5, 6, 7, 8, 9)},
		{"still away", bitsOf(7, 8), bitsOf(2), bitsOf(0, 1, 2, 3, 4, 5, 6, 7)},
		{"an evening out on a day at home too", bitsOf(4, 5, 6), bitsOf(5), bitsOf(4, 5, 6)},
		{"never home before", bitsOf(1), bitsOf(3), ^uint64(0) &^ 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := awayDays(tc.home, tc.visit); got != tc.want {
				t.Errorf("awayDays(%b, %b) = %b, want %b", tc.home, tc.visit, got, tc.want)
			}
		})
	}
}

func TestSameArea(t *testing.T) {
	at := func(lat, lon float32, acc uint16, asn uint32, cc string) *place {
		return &place{lat: lat, lon: lon, acc: acc, asn: asn, country: cc, located: true}
	}
	coarse := func(asn uint32, cc string) *place { return &place{asn: asn, country: cc} }
	london, luton := at(51.51, -0.13, 20, 174, "GB"), at(51.88, -0.42, 20, 2856, "GB")
	tests := []struct {
		name string
		p, q *place
		want bool
	}{
		{"two lines in one metro area", london, luton, true},
		{"London and Calgary", london, at(51.05, -114.07, 20, 6461, "CA"), false},
		{"a coarse line of the same ISP in the same country: the home renumbered", coarse(2856, "GB"), luton, true},
		{"a coarse line of another ISP: no evidence it is the same home", coarse(6461, "CA"), london, false},
		{"a coarse line of the same ISP abroad", coarse(174, "US"), london, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameArea(tc.p, tc.q); got != tc.want {
				t.Errorf("sameArea = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSameSpot(t *testing.T) {
	at := func(lat, lon float32, acc uint16) *place {
		return &place{lat: lat, lon: lon, acc: acc, located: true}
	}
	wildwood := at(28.86, -82.04, 20)
	tests := []struct {
		name string
		p, q *place
		want bool
	}{
		{"both families placed in one town", wildwood, at(28.87, -82.03, 20), true},
		{"a regional IPv6 range whose circle reaches the town", wildwood, at(29.50, -82.30, 100), true},
		{"129 km apart, both precise", wildwood, at(28.39, -80.74, 20), false},
		{"a range placed only to 150 km", wildwood, at(28.86, -82.04, 150), false},
		{"a country-level range says nothing", wildwood, at(28.86, -82.04, 500), false},
		{"no usable position", wildwood, &place{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameSpot(tc.p, tc.q); got != tc.want {
				t.Errorf("sameSpot = %v, want %v", got, tc.want)
			}
		})
	}
}

// Device kinds from real user agents: a TV, stick or console marks the
// line it streams on as a home line, a hospitality TV marks a stay.
func TestGuessKind(t *testing.T) {
	tests := []struct {
		ua   string
		want uint8
	}{
		{"Dalvik/2.1.0 (Linux; U; Android 11; AFTKRT Build/PS7633.3445N)", kindTV}, // Fire TV 4K Max
		{"Dalvik/2.1.0 (Linux; U; Android 9; AFTKM Build/PS7624)", kindTV},         // Fire TV Stick Lite
		{"Dalvik/2.1.0 (Linux; U; Android 12; MiTV-AXSON Build/STT2.230217.001)", kindTV},
		{"Dalvik/2.1.0 (Linux; U; Android 11; 55PUS8808/12 Philips TV Build/RTT2.211108.001)", kindTV},
		{"Dalvik/2.1.0 (Linux; U; Android 12; Smart TV Pro Build/STT1.220826.001)", kindTV},
		{"Mozilla/5.0 (Linux; VIDAA 6.0; Hisense SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.0 Safari/537.36", kindTV},
		{"Roku/DVP-14.0 (14.0.4.5311-46)", kindTV},
		{"AppleCoreMedia/1.0.0.22J357 (Apple TV; U; CPU OS 18_0 like Mac OS X; en_us)", kindTV},
		{"Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager LG Pro:Centric", kindLodgingTV},
		{"Dalvik/2.1.0 (Linux; U; Android 11; KFTUWI Build/RS8332.3115N)", kindTablet},                          // a Fire tablet: portable, not a TV
		{"StreamBox/10.17.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240105.004) ExoPlayerLib/2.19.1", kindPhone}, // an app: no "Mobile"
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", kindComputer},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", kindComputer},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", kindComputer},
		{"StreamBox/10.17.0", kindOther},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1", kindPhone},
		{"", kindUnknown},
	}
	for _, tc := range tests {
		if got := guessKind(tc.ua); got != tc.want {
			t.Errorf("guessKind(%q) = %d, want %d", tc.ua, got, tc.want)
		}
	}
}

// TestNearShortcutsAgree: near's shortcuts (same position; far apart by
// latitude alone) answer as the great-circle distance does, also for
// pairs right at the threshold.
func TestNearShortcutsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i := 0; i < 200000; i++ {
		p := place{lat: float32(r.Float64()*140 - 70), lon: float32(r.Float64()*360 - 180), acc: uint16(r.IntN(4) * 50)}
		q := p
		switch i % 3 {
		case 1: // within a few hundred km
			q.lat += float32(r.NormFloat64() * 3)
			q.lon += float32(r.NormFloat64() * 3)
		case 2: // due north or south, where the bound is tight
			q.lat += float32(r.NormFloat64() * 5)
		}
		q.acc = uint16(r.IntN(4) * 20)
		d := DistanceKM(float64(p.lat), float64(p.lon), float64(q.lat), float64(q.lon))
		for _, km := range []float64{0, 100, 300, SeparationKM(d, p.acc, q.acc)} {
			want := SeparationKM(d, p.acc, q.acc) <= km
			if got := near(&p, &q, km); got != want {
				t.Fatalf("near(%+v, %+v, %v) = %v, the great circle says %v (distance %v)", p, q, km, got, want, d)
			}
		}
	}
}

// households and householdSummary are the allocating forms of
// householdsInto and householdSummaryInto, for tests.
func (a *account) households(now int64, bridge int64) *components {
	c := new(components)
	a.householdsInto(c, now, bridge)
	return c
}

func (a *account) householdSummary(c *components, today int32, window int) []household {
	return a.householdSummaryInto(nil, c, today, window)
}
