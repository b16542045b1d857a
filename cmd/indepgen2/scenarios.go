package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// home countries of accounts and their weights
var homeCountries = map[string]float64{"US": 30, "GB": 8, "DE": 8, "BR": 8, "FR": 6, "IN": 6, "MX": 5, "CA": 4,
	"ES": 4, "IT": 4, "JP": 3, "AU": 3, "PL": 3, "NL": 2.5, "SE": 1.5}

// extra countries used only as travel destinations / VPN exits
var extraCountries = []string{"PT", "CH", "SG", "TH", "AT", "GR", "IE"}

var vpnFavourites = []string{"US", "GB", "NL", "DE", "CH", "SE", "JP", "CA", "SG", "FR"}

func (s *Sim) pickCountry(r *rand.Rand) string {
	return s.homeCC[pickW(r, s.homeCCW)]
}

func (s *Sim) pickCity(r *rand.Rand, cc string) int32 {
	ct := s.G.Countries[cc]
	return ct.Cities[pickW(r, ct.CityW)]
}

// pickCityRange: a city at distance [minKm, maxKm] from `from`, weighted by
// population proxy; cities in the same country get `domestic` times the weight.
// countries restricts the candidates (nil: home countries).
func (s *Sim) pickCityRange(r *rand.Rand, from int32, minKm, maxKm, domestic float64, countries []string, exclCC string) int32 {
	if countries == nil {
		countries = s.homeCC
	}
	fc := s.G.Cities[from]
	var cand []int32
	var w []float64
	for _, cc := range countries {
		if cc == exclCC {
			continue
		}
		ct := s.G.Countries[cc]
		if ct == nil {
			continue
		}
		for i, ci := range ct.Cities {
			c := s.G.Cities[ci]
			d := haversine(fc.Lat, fc.Lon, c.Lat, c.Lon)
			if d < minKm || d > maxKm {
				continue
			}
			x := ct.CityW[i]
			if cc == fc.Country {
				x *= domestic
			}
			cand = append(cand, ci)
			w = append(w, x)
		}
	}
	if len(cand) == 0 {
		return -1
	}
	return cand[pickW(r, w)]
}

func (s *Sim) newHome(r *rand.Rand, city int32, asn uint32) *Place {
	c := s.G.Cities[city]
	return &Place{Kind: PHome, Line: s.newLine(r, city, asn), City: city, TZ: s.tz(c.TZ), HomeCC: c.Country}
}

func (s *Sim) allStay(pl *Place) []Stay {
	return []Stay{{From: s.Start.Unix() - 86400, To: s.End.Unix(), P: pl}}
}

func lognorm(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

func (s *Sim) newPerson(r *rand.Rand, median float64) *Person {
	return &Person{PerWeek: lognorm(r, median, 0.5), MobileP: 0.06 + 0.1*r.Float64(), MobLocal: 0.6, MobJump: 0.02, vpnStick: map[string]string{}}
}

// household: n people, a living-room TV, maybe more big screens, phones,
// tablets, laptops; total devices clamped to [minDev, maxDev].
func (s *Sim) household(r *rand.Rand, a *Account, home *Place, nPeople, minDev, maxDev int, median float64) []*Person {
	cc := s.G.Cities[home.City].Country
	var people []*Person
	for i := 0; i < nPeople; i++ {
		p := s.newPerson(r, median/math.Sqrt(float64(nPeople)))
		p.Stays = s.allStay(home)
		people = append(people, p)
	}
	nDev := 0
	// big screens
	tvKind := TV
	if r.Float64() < 0.4 {
		tvKind = Stick
	}
	a.Fixed[home] = append(a.Fixed[home], s.newDevice(r, tvKind, 0, cc))
	nDev++
	if nPeople > 1 && r.Float64() < 0.5 {
		a.Fixed[home] = append(a.Fixed[home], s.newDevice(r, Stick, 0, cc))
		nDev++
	}
	for _, p := range people {
		if nDev >= maxDev {
			break
		}
		if r.Float64() < 0.85 {
			p.Devices = append(p.Devices, s.newDevice(r, Phone, 0, cc))
			nDev++
		}
	}
	for nDev < minDev || (nDev < maxDev && r.Float64() < 0.35) {
		p := people[r.IntN(len(people))]
		k := Tablet
		if r.Float64() < 0.5 {
			k = Desktop
		}
		p.Devices = append(p.Devices, s.newDevice(r, k, 0, cc))
		nDev++
	}
	return people
}

func (s *Sim) sharingStart(r *rand.Rand, pFromStart float64) int64 {
	if r.Float64() < pFromStart || s.Cfg.Days < 10 {
		return s.Start.Unix()
	}
	d := 2 + r.IntN(s.Cfg.Days-8)
	return s.Start.Unix() + int64(d)*86400
}

// build creates one account of the given scenario, returns people and label.
func (s *Sim) build(r *rand.Rand, idx int, scen string) (*Account, Label) {
	a := &Account{Idx: idx, Fixed: map[*Place][]*Device{}, Scenario: scen}
	lab := Label{Acct: idx, Scenario: scen, Info: map[string]any{}}
	cc := s.pickCountry(r)
	city := s.pickCity(r, cc)
	home := s.newHome(r, city, 0)
	lab.Info["home"] = s.G.Cities[city].Name + ", " + cc
	lab.Info["isp"] = s.G.ASNs[home.Line.ASN].Org
	lab.Info["ip_policy"] = home.Line.Policy

	switch scen {
	case "solo":
		p := s.newPerson(r, 4.5)
		p.Stays = s.allStay(home)
		a.People = []*Person{p}
		switch u := r.Float64(); {
		case u < 0.45:
			a.Fixed[home] = []*Device{s.newDevice(r, pickTV(r), 0, cc)}
			p.Devices = []*Device{s.newDevice(r, Phone, 0, cc)}
		case u < 0.65:
			a.Fixed[home] = []*Device{s.newDevice(r, pickTV(r), 0, cc)}
		case u < 0.85:
			p.Devices = []*Device{s.newDevice(r, Desktop, 0, cc)}
		default:
			p.Devices = []*Device{s.newDevice(r, Phone, 0, cc), s.newDevice(r, Tablet, 0, cc)}
		}

	case "household":
		n := 2 + r.IntN(4)
		a.People = s.household(r, a, home, n, 3, 7, 7)

	case "traveller":
		n := 1 + r.IntN(4)
		if r.Float64() < 0.3 {
			n = 1
		}
		a.People = s.household(r, a, home, n, 2, 6, 6)
		owner := a.People[0]
		if len(owner.Devices) == 0 || owner.Devices[0].Kind != Phone {
			owner.Devices = append([]*Device{s.newDevice(r, Phone, 0, cc)}, owner.Devices...)
		}
		if r.Float64() < 0.5 {
			owner.Devices = append(owner.Devices, s.newDevice(r, Desktop, 0, cc))
		}
		owner.PerWeek = math.Max(owner.PerWeek, 3)
		lab.Info["trips"] = s.trips(r, a, owner, home)

	case "two_homes":
		n := 1
		if r.Float64() < 0.35 {
			n = 2
		}
		house := s.pickCityRange(r, city, 40, 250, 1, []string{cc}, "")
		if house < 0 {
			house = s.pickCityRange(r, city, 20, 600, 1, []string{cc}, "")
		}
		if house < 0 {
			house = city
		}
		country := s.newHome(r, house, 0)
		lab.Info["second_home"] = s.G.Cities[house].Name
		lab.Info["second_home_km"] = math.Round(s.G.dist(city, house))
		var people []*Person
		for i := 0; i < n; i++ {
			p := s.newPerson(r, 5/math.Sqrt(float64(n)))
			p.Devices = append(p.Devices, s.newDevice(r, Phone, 0, cc))
			if r.Float64() < 0.6 {
				p.Devices = append(p.Devices, s.newDevice(r, pickPortable(r), 0, cc))
			}
			people = append(people, p)
		}
		a.Fixed[home] = []*Device{s.newDevice(r, pickTV(r), 0, cc)}
		if r.Float64() < 0.7 {
			a.Fixed[country] = []*Device{s.newDevice(r, pickTV(r), 1, cc)}
		}
		st := s.weekends(r, home, country)
		for _, p := range people {
			p.Stays = st
		}
		a.People = people

	case "mobile_heavy":
		n := 1
		if r.Float64() < 0.3 {
			n = 2
		}
		car := s.pickCarrier(r, cc)
		if car == nil {
			car = s.pickCarrier(r, "US")
		}
		// (car is nil only when the databases have no carrier in the home
		// country nor in the US: then the home keeps its fixed line)
		if r.Float64() < 0.5 && car != nil {
			home.Line = nil // no fixed line: 4G/5G router or phone only
			home.Router = car
		}
		for i := 0; i < n; i++ {
			p := s.newPerson(r, 5/math.Sqrt(float64(n)))
			p.MobileP = 0.55 + 0.35*r.Float64()
			p.MobLocal = 0.3
			p.MobJump = 0.06
			ph := s.newDevice(r, Phone, 0, cc)
			ph.Carrier = car
			p.Devices = []*Device{ph}
			if r.Float64() < 0.4 {
				tb := s.newDevice(r, Tablet, 0, cc)
				tb.Carrier = car
				p.Devices = append(p.Devices, tb)
			}
			p.Stays = s.allStay(home)
			a.People = append(a.People, p)
		}
		if r.Float64() < 0.5 {
			a.Fixed[home] = []*Device{s.newDevice(r, pickTV(r), 0, cc)}
		}

	case "vpn_user":
		n := 1 + r.IntN(3)
		a.People = s.household(r, a, home, n, 1, 5, 5)
		owner := a.People[0]
		if len(owner.Devices) == 0 {
			owner.Devices = append(owner.Devices, s.newDevice(r, Desktop, 0, cc))
		}
		owner.VPNShare = 0.3 + 0.5*r.Float64()
		owner.VPNCCs = []string{cc}
		for k := 0; k < 1+r.IntN(3); k++ {
			owner.VPNCCs = append(owner.VPNCCs, vpnFavourites[r.IntN(len(vpnFavourites))])
		}
		for _, d := range owner.Devices {
			d.VPN = d.Kind == Desktop || r.Float64() < 0.6
		}
		if r.Float64() < 0.25 { // VPN on the router: everything goes out through it
			for _, d := range a.Fixed[home] {
				d.VPN = true
			}
			for _, p := range a.People {
				p.VPNShare, p.VPNCCs = owner.VPNShare, owner.VPNCCs
				for _, d := range p.Devices {
					d.VPN = true
				}
			}
		}

	case "friend_sharer", "same_city_sharer":
		n := 1 + r.IntN(4)
		a.People = s.household(r, a, home, n, 1, 6, 6)
		var fcity int32
		var fasn uint32
		if scen == "friend_sharer" {
			// friends' distance: log-uniform 50-2000 km (people know more
			// people near them), then a city around that distance
			target := 50 * math.Pow(40, r.Float64())
			fcity = s.pickCityRange(r, city, math.Max(50, target*0.8), math.Min(2000, target*1.25), 4, nil, "")
			if fcity < 0 {
				fcity = s.pickCityRange(r, city, 50, 2000, 4, nil, "")
			}
			if fcity < 0 {
				fcity = s.pickCity(r, cc)
			}
		} else {
			fcity = city
			if r.Float64() < 0.15 {
				fasn = home.Line.ASN
			}
		}
		fhome := s.newHome(r, fcity, fasn)
		lab.Info["friend"] = s.G.Cities[fcity].Name + ", " + s.G.Cities[fcity].Country
		lab.Info["friend_km"] = math.Round(s.G.dist(city, fcity))
		lab.Info["friend_same_isp"] = fhome.Line.ASN == home.Line.ASN
		start := s.sharingStart(r, 0.5)
		lab.Sharing, lab.Start = true, start
		fcc := s.G.Cities[fcity].Country
		nf := 1 + r.IntN(3)
		fp := s.household(r, a, fhome, nf, 1, 3, s.Cfg.FriendPerWeek)
		for _, p := range fp {
			p.From = start + int64(r.IntN(6*3600))
			for _, d := range p.Devices {
				if d.Carrier != nil && d.Carrier.CC != fcc {
					d.Carrier = s.pickCarrier(r, fcc)
				}
			}
		}
		a.People = append(a.People, fp...)

	case "reseller":
		start := s.sharingStart(r, 0.75)
		lab.Sharing, lab.Start = true, start
		lab.Info["buyers_km"] = []float64{}
		p := s.newPerson(r, 4)
		p.Stays = s.allStay(home)
		a.Fixed[home] = []*Device{s.newDevice(r, pickTV(r), 0, cc)}
		a.People = []*Person{p}
		nb := 5 + r.IntN(11)
		for i := 0; i < nb; i++ {
			bcc := cc
			if r.Float64() < 0.5 {
				bcc = s.pickCountry(r)
			}
			bh := s.newHome(r, s.pickCity(r, bcc), 0)
			lab.Info["buyers_km"] = append(lab.Info["buyers_km"].([]float64), math.Round(s.G.dist(city, bh.City)))
			bp := s.newPerson(r, 6)
			bp.Stays = s.allStay(bh)
			bp.From = start
			if i > 2 { // buyers trickle in over the first days/weeks
				bp.From += int64(r.ExpFloat64() * 6 * 86400)
			}
			a.Fixed[bh] = []*Device{s.newDevice(r, pickTV(r), 0, bcc)}
			if r.Float64() < 0.5 {
				bp.Devices = []*Device{s.newDevice(r, pickPortable(r), 0, bcc)}
			}
			a.People = append(a.People, bp)
		}
	}
	if !lab.Sharing {
		lab.Start = 0
	}
	return a, lab
}

func pickTV(r *rand.Rand) DevKind {
	if r.Float64() < 0.55 {
		return TV
	}
	return Stick
}

func pickPortable(r *rand.Rand) DevKind {
	switch r.IntN(3) {
	case 0:
		return Phone
	case 1:
		return Tablet
	}
	return Desktop
}

// weekends: weekdays at the city flat, most weekends at the country house
// (Friday afternoon/evening out, Sunday evening or Monday early back).
func (s *Sim) weekends(r *rand.Rand, flat, house *Place) []Stay {
	drive := int64(s.G.dist(flat.City, house.City)/70*3600) + 900
	var st []Stay
	cur := s.Start.Unix() - 86400
	loc := flat.TZ
	d0 := s.Start.In(loc)
	day := timeDate(d0.Year(), d0.Month(), d0.Day(), 0, 0, loc)
	for ; day.Unix() < s.End.Unix(); day = day.AddDate(0, 0, 1) {
		if day.Weekday() != time.Friday || r.Float64() > 0.75 {
			continue
		}
		leave := day.Add(time.Duration(15*3600+r.IntN(5*3600)) * time.Second).Unix()
		var back int64
		if r.Float64() < 0.75 {
			back = day.AddDate(0, 0, 2).Add(time.Duration(15*3600+r.IntN(5*3600)) * time.Second).Unix()
		} else {
			back = day.AddDate(0, 0, 3).Add(time.Duration(5*3600+r.IntN(2*3600)) * time.Second).Unix()
		}
		if leave <= cur {
			continue
		}
		st = append(st, Stay{From: cur, To: leave, P: flat}, Stay{From: leave + drive, To: back, P: house})
		cur = back + drive
	}
	st = append(st, Stay{From: cur, To: s.End.Unix(), P: flat})
	return st
}

// trips: 1-2 trips in the window; travel takes a plausible time (car/train
// under 600 km, otherwise flight incl. airport time); hotel or guest network
// at the destination, sometimes a hotel TV, sometimes a VPN back home while
// abroad. The rest of the household stays home.
func (s *Sim) trips(r *rand.Rand, a *Account, owner *Person, home *Place) []string {
	var info []string
	cc := home.HomeCC
	nTrips := 1
	if r.Float64() < 0.35 {
		nTrips = 2
	}
	window := int64(s.Cfg.Days) * 86400
	var stays []Stay
	cur := s.Start.Unix() - 86400
	slot := window / int64(nTrips)
	for k := 0; k < nTrips; k++ {
		length := int64(math.Max(2, math.Min(16, lognorm(r, s.Cfg.TripDays, 0.45))) * 86400)
		if length > slot-86400 {
			length = slot - 86400
		}
		if length < 86400 {
			break
		}
		lo := s.Start.Unix() + int64(k)*slot
		dep := lo + r.Int64N(slot-length)
		// departure at a daytime local hour
		dl := time.Unix(dep, 0).In(home.TZ)
		dep = timeDate(dl.Year(), dl.Month(), dl.Day(), 6+r.IntN(13), r.IntN(60), home.TZ).Unix()
		if dep <= cur {
			continue
		}
		var dest int32 = -1
		abroad := r.Float64() < 0.4
		if abroad {
			all := append(append([]string{}, s.homeCC...), extraCountries...)
			dest = s.pickCityRange(r, home.City, 300, 4000, 0, all, cc)
			if dest < 0 || r.Float64() < 0.25 {
				dest = s.pickCityRange(r, home.City, 300, 20000, 0, all, cc)
			}
		}
		if dest < 0 {
			abroad = false
			dest = s.pickCityRange(r, home.City, 150, 5000, 1, []string{cc}, "")
		}
		if dest < 0 {
			continue
		}
		dist := s.G.dist(home.City, dest)
		var travel int64
		if dist < 600 {
			travel = int64(dist/80*3600) + 1800
		} else {
			travel = int64((dist/750+3)*3600) + int64(r.IntN(3600))
		}
		dc := s.G.Cities[dest]
		pl := &Place{Kind: PHotel, City: dest, TZ: s.tz(dc.TZ), Abroad: abroad, HomeCC: cc}
		if r.Float64() < 0.7 {
			pl.Line = s.hotelLine(r, dest)
		} else { // staying with relatives / friends: their home line
			pl.Kind = PHome
			pl.Line = s.newLine(r, dest, 0)
		}
		if abroad && r.Float64() < 0.3 {
			pl.VPNShare = 0.6
		}
		if pl.Kind == PHotel && r.Float64() < 0.3 {
			a.Fixed[pl] = []*Device{s.newDevice(r, TV, 9, cc)}
		}
		info = append(info, fmt.Sprintf("%s, %s (%.0f km, %s, %.1f d, hotel_tv=%v, vpn=%v)", dc.Name, dc.Country, dist,
			time.Unix(dep, 0).UTC().Format(time.RFC3339), float64(length)/86400, len(a.Fixed[pl]) > 0, pl.VPNShare > 0))
		arr := dep + travel
		ret := dep + length
		stays = append(stays, Stay{From: cur, To: dep, P: home}, Stay{From: arr, To: ret, P: pl})
		cur = ret + travel
	}
	stays = append(stays, Stay{From: cur, To: s.End.Unix(), P: home})
	sort.Slice(stays, func(i, j int) bool { return stays[i].From < stays[j].From })
	owner.Stays = stays
	return info
}
