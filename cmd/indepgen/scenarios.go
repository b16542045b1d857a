package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

var scenarioMix = []struct {
	Name  string
	Share float64
}{
	{"solo", 0.20}, {"household", 0.20}, {"traveller", 0.15}, {"two_homes", 0.07}, {"mobile_heavy", 0.08},
	{"vpn_user", 0.08}, {"friend_sharer", 0.10}, {"same_city_sharer", 0.05}, {"reseller", 0.07},
}

func (s *Sim) devOpts() UAOpts { return UAOpts{UAShare: s.opt.UAShare, IPv6Share: s.opt.IPv6Share} }

func (s *Sim) newDev(r *rand.Rand, k Kind, cc string) *Device {
	d := NewDevice(r, k, cc, s.devOpts())
	d.planIDResets(r, s.start-2*msDay, s.end, s.opt.CookieReset)
	return d
}

func (s *Sim) pickCountry(r *rand.Rand) string { return pickW(r, s.ccList, s.ccW) }

// pickCity picks among the topN cities of cc, weighted by size^pow.
func (s *Sim) pickCity(r *rand.Rand, cc string, topN int, pow float64) *City {
	l := s.g.ByCC[cc]
	if len(l) > topN {
		l = l[:topN]
	}
	w := make([]float64, len(l))
	for i, c := range l {
		w[i] = math.Pow(c.ResAddr, pow)
	}
	return pickW(r, l, w)
}

func (s *Sim) pickHomeCity(r *rand.Rand, cc string) *City { return s.pickCity(r, cc, 250, 0.75) }

// citiesWithin returns cities (any of our countries when foreign) between lo and hi km of c.
func (s *Sim) citiesWithin(c *City, lo, hi float64, sameCC bool, topN int) ([]*City, []float64) {
	var out []*City
	var w []float64
	for _, cc := range s.ccList {
		if sameCC != (cc == c.CC) {
			continue
		}
		l := s.g.ByCC[cc]
		if len(l) > topN {
			l = l[:topN]
		}
		for _, o := range l {
			if o == c {
				continue
			}
			d := dist(c, o)
			if d >= lo && d <= hi {
				out = append(out, o)
				w = append(w, math.Pow(o.ResAddr, 0.6))
			}
		}
	}
	return out, w
}

func (s *Sim) newPlace(r *rand.Rand, c *City, asn, avoid uint32) *Place {
	return &Place{City: c, Line: s.NewLine(r, c, asn, avoid)}
}

func (s *Sim) newViewer(r *rand.Rand, cc string, rateMed float64) *Viewer {
	v := &Viewer{HomeCC: cc, Rate: lognorm(r, rateMed, 0.45), PMob: 0.04 + r.Float64()*0.14}
	v.Carrier = s.pickCarrier(r, cc)
	v.V6Mob = v.Carrier != nil && v.Carrier.V6.Len() > 0 && r.Float64() < min(0.95, s.opt.IPv6Share*1.4)
	v.TabSIM = r.Float64() < 0.15
	return v
}

func (s *Sim) whole(p *Place) []Seg { return []Seg{{a: s.start - 3*msDay, b: s.end, P: p}} }

// household builds a normal home: nViewers people, shared big screens, personal devices.
func (s *Sim) household(r *rand.Rand, c *City, nViewers int, maxDev int, rateMed float64, sharer bool) (*Place, []*Viewer) {
	p := s.newPlace(r, c, 0, 0)
	cc := c.CC
	var vs []*Viewer
	ndev := 0
	// shared screens
	if r.Float64() < 0.9 {
		p.Fixed = append(p.Fixed, s.newDev(r, pickW(r, []Kind{TV, Stick}, []float64{0.65, 0.35}), cc))
	}
	if nViewers >= 2 && r.Float64() < 0.45 {
		p.Fixed = append(p.Fixed, s.newDev(r, pickW(r, []Kind{TV, Stick}, []float64{0.5, 0.5}), cc))
	}
	if nViewers >= 2 && r.Float64() < 0.22 {
		p.Fixed = append(p.Fixed, s.newDev(r, Console, cc))
	}
	if nViewers >= 2 && r.Float64() < 0.1 {
		p.Fixed = append(p.Fixed, s.newDev(r, Desktop, cc))
	}
	ndev = len(p.Fixed)
	for i := 0; i < nViewers; i++ {
		v := s.newViewer(r, cc, rateMed)
		v.Sharer = sharer
		if ndev < maxDev && (r.Float64() < 0.88 || i == 0) {
			v.Own = append(v.Own, s.newDev(r, Phone, cc))
			ndev++
		}
		if ndev < maxDev && r.Float64() < 0.25 {
			v.Own = append(v.Own, s.newDev(r, Tablet, cc))
			ndev++
		}
		if ndev < maxDev && r.Float64() < 0.35 {
			v.Own = append(v.Own, s.newDev(r, Laptop, cc))
			ndev++
		}
		v.Segs = s.whole(p)
		vs = append(vs, v)
	}
	for _, v := range vs {
		for _, d := range v.Own {
			d.Sharer = sharer
		}
	}
	for _, d := range p.Fixed {
		d.Sharer = sharer
	}
	return p, vs
}

func (s *Sim) buildAccount(i int, scen string) *Account {
	r := subRNG(s.opt.Seed, "account", itoa(i))
	a := &Account{Idx: int32(i), ID: fmt.Sprintf("a-%06d", i+1), Scenario: scen, DesignedFrom: math.MinInt64}
	cc := s.pickCountry(r)
	home := s.pickHomeCity(r, cc)
	a.Home = home
	switch scen {
	case "solo":
		p := s.newPlace(r, home, 0, 0)
		v := s.newViewer(r, cc, 0.75)
		set := pickW(r, [][]Kind{{TV, Phone}, {Stick, Phone}, {Phone}, {Laptop}, {TV}, {Laptop, Phone}, {Tablet}},
			[]float64{0.22, 0.13, 0.2, 0.15, 0.15, 0.12, 0.03})
		for _, k := range set {
			d := s.newDev(r, k, cc)
			if k.Portable() {
				v.Own = append(v.Own, d)
			} else {
				p.Fixed = append(p.Fixed, d)
			}
		}
		v.Segs = s.whole(p)
		a.Viewers = []*Viewer{v}
	case "household":
		n := pickW(r, []int{2, 3, 4, 5}, []float64{0.35, 0.3, 0.25, 0.1})
		_, vs := s.household(r, home, n, 3+r.IntN(5), 0.5, false)
		s.ensureMinDevices(r, vs, 3, cc)
		a.Viewers = vs
	case "traveller":
		s.buildTraveller(r, a)
	case "two_homes":
		s.buildTwoHomes(r, a)
	case "mobile_heavy":
		s.buildMobileHeavy(r, a)
	case "vpn_user":
		s.buildVPNUser(r, a)
	case "friend_sharer", "same_city_sharer":
		s.buildFriendSharer(r, a, scen == "same_city_sharer")
	case "reseller":
		s.buildReseller(r, a)
	}
	a.Sharing = scen == "friend_sharer" || scen == "same_city_sharer" || scen == "reseller"
	return a
}

func (s *Sim) ensureMinDevices(r *rand.Rand, vs []*Viewer, minDev int, cc string) {
	n := len(vs[0].Segs[0].P.Fixed)
	for _, v := range vs {
		n += len(v.Own)
	}
	for i := 0; n < minDev; i++ {
		v := vs[i%len(vs)]
		v.Own = append(v.Own, s.newDev(r, pickW(r, []Kind{Phone, Tablet, Laptop}, []float64{3, 1, 1}), cc))
		n++
	}
}

// ---------------- traveller ----------------

type trip struct {
	dep, arr, depBack, arrHome int64
	place                      *Place
}

func travelHours(d float64) float64 {
	if d < 500 {
		return d/85 + 0.5
	}
	return 3 + d/800
}

func localAt(t int64, loc *time.Location, hourLo, hourHi float64, r *rand.Rand) int64 {
	tt := time.UnixMilli(t).In(loc)
	h := hourLo + r.Float64()*(hourHi-hourLo)
	d := time.Date(tt.Year(), tt.Month(), tt.Day(), 0, 0, 0, 0, loc)
	return d.Add(time.Duration(h * float64(time.Hour))).UnixMilli()
}

func (s *Sim) tripDest(r *rand.Rand, home *City) *City {
	if r.Float64() < 0.5 {
		if cs, w := s.citiesWithin(home, 150, 5000, true, 80); len(cs) > 0 {
			return pickW(r, cs, w)
		}
	}
	// international: countries weighted by size and proximity
	var ccs []string
	var w []float64
	for i, cc := range s.ccList {
		if cc == home.CC {
			continue
		}
		top := s.g.ByCC[cc][0]
		d := dist(home, top)
		ccs = append(ccs, cc)
		w = append(w, s.ccW[i]/(1+d/1500))
	}
	cc := pickW(r, ccs, w)
	return s.pickCity(r, cc, 25, 0.8)
}

func (s *Sim) buildTraveller(r *rand.Rand, a *Account) {
	home := a.Home
	cc := home.CC
	n := pickW(r, []int{2, 3, 4}, []float64{0.45, 0.35, 0.2})
	p, vs := s.household(r, home, n, 7, 0.5, false)
	owner := vs[0]
	hasPhone := false
	for _, d := range owner.Own {
		hasPhone = hasPhone || d.Kind == Phone
	}
	if !hasPhone {
		owner.Own = append(owner.Own, s.newDev(r, Phone, cc))
	}
	if len(owner.Own) < 2 {
		owner.Own = append(owner.Own, s.newDev(r, pickW(r, []Kind{Laptop, Tablet}, []float64{0.6, 0.4}), cc))
	}
	for _, d := range owner.Own {
		if d.Kind == Phone || r.Float64() < 0.8 {
			owner.Take = append(owner.Take, d)
		}
	}
	days := float64(s.opt.Days)
	ntrips := pickW(r, []int{1, 2, 3}, []float64{0.5, 0.35, 0.15})
	var trips []trip
	for k := 0; k < ntrips; k++ {
		for try := 0; try < 40; try++ {
			dur := 2 + r.Float64()*8
			if dur > days-3 {
				dur = days - 3
			}
			st := 0.5 + r.Float64()*(days-dur-1)
			dest := s.tripDest(r, home)
			d := dist(home, dest)
			th := travelHours(d)
			dep := localAt(s.start+int64(st*float64(msDay)), home.Loc, 6, 20, r)
			arr := dep + int64(th*float64(msHour))
			depBack := localAt(arr+int64(dur*float64(msDay)), dest.Loc, 8, 20, r)
			if depBack <= arr+12*msHour {
				depBack = arr + 36*msHour
			}
			arrHome := depBack + int64(th*float64(msHour))
			ok := arrHome < s.end
			for _, t := range trips {
				if dep < t.arrHome+2*msDay && t.dep < arrHome+2*msDay {
					ok = false
				}
			}
			if !ok {
				continue
			}
			tp := &Place{City: dest}
			if r.Float64() < 0.7 {
				hs := s.hotels(dest)
				tp.Hotel = hs[r.IntN(len(hs))]
				if r.Float64() < 0.35 {
					tv := s.newDev(r, TV, dest.CC)
					tv.Client = pickW(r, []Client{cWebOS, cTizen, cChromecast}, []float64{2, 2, 1})
					if tv.Client == cChromecast {
						tv.Model, tv.AndroidVer, tv.Build = "Chromecast", 14, "UTTK.241205.003"
					} else if tv.Client == cTizen {
						tv.TVVer = "7.0"
					} else {
						tv.TVVer = "94.0.4606.128"
					}
					tv.lastKey = -1
					tv.ids = []idPeriod{{math.MinInt64, tv.newID(r)}}
					tp.Fixed = append(tp.Fixed, tv)
				}
			} else {
				tp.Line = s.NewLine(r, dest, 0, 0) // Airbnb / friends' / relatives' home
			}
			if dest.CC != cc {
				if r.Float64() < 0.3 {
					hc := cc
					if len(s.g.Hosting[cc]) == 0 {
						hc = "US"
					}
					tp.TripVPN = s.newVPNProf(r, cc, hc)
				}
				if r.Float64() < 0.25 {
					tp.LocalSIM = s.pickCarrier(r, dest.CC)
				}
			}
			trips = append(trips, trip{dep, arr, depBack, arrHome, tp})
			break
		}
	}
	// owner's timeline
	sortTrips(trips)
	var segs []Seg
	cur := s.start - 3*msDay
	for _, t := range trips {
		segs = append(segs, Seg{a: cur, b: t.dep, P: p})
		segs = append(segs, Seg{a: t.arr, b: t.depBack, P: t.place, Travel: true, RateX: 0.85})
		cur = t.arrHome
	}
	segs = append(segs, Seg{a: cur, b: s.end, P: p})
	owner.Segs = segs
	a.Viewers = vs
}

func sortTrips(t []trip) {
	for i := 1; i < len(t); i++ {
		for j := i; j > 0 && t[j].dep < t[j-1].dep; j-- {
			t[j], t[j-1] = t[j-1], t[j]
		}
	}
}

// ---------------- two homes ----------------

func (s *Sim) buildTwoHomes(r *rand.Rand, a *Account) {
	home := a.Home
	cc := home.CC
	cs, _ := s.citiesWithin(home, 30, 300, true, 100000)
	if len(cs) == 0 {
		// tiny country: move the flat to the biggest city of a country that has room
		for _, c2 := range []string{"US", "DE", "FR", "GB"} {
			home = s.pickHomeCity(r, c2)
			if cs, _ = s.citiesWithin(home, 30, 300, true, 100000); len(cs) > 0 {
				break
			}
		}
		a.Home, cc = home, home.CC
	}
	w := make([]float64, len(cs))
	for i, c := range cs {
		w[i] = math.Pow(c.ResAddr, 0.3)
	}
	house := pickW(r, cs, w)
	flat := s.newPlace(r, home, 0, 0)
	hp := s.newPlace(r, house, 0, flat.Line.ASN)
	if r.Float64() < 0.7 {
		flat.Fixed = append(flat.Fixed, s.newDev(r, pickW(r, []Kind{TV, Stick}, []float64{0.6, 0.4}), cc))
	}
	if r.Float64() < 0.55 {
		hp.Fixed = append(hp.Fixed, s.newDev(r, pickW(r, []Kind{TV, Stick}, []float64{0.5, 0.5}), cc))
	}
	nv := pickW(r, []int{1, 2}, []float64{0.75, 0.25})
	drive := (dist(home, house)/70 + 0.25) * float64(msHour)
	// house intervals
	type iv struct{ a, b int64 }
	var stays []iv
	loc := home.Loc
	d0 := time.UnixMilli(s.start - 7*msDay).In(loc)
	day := time.Date(d0.Year(), d0.Month(), d0.Day(), 0, 0, 0, 0, loc)
	for day.Weekday() != time.Friday {
		day = day.AddDate(0, 0, 1)
	}
	longStay := -1
	if r.Float64() < 0.25 {
		longStay = r.IntN(4)
	}
	for wk := 0; day.UnixMilli() < s.end; wk, day = wk+1, day.AddDate(0, 0, 7) {
		if wk == longStay+1 && longStay >= 0 {
			st := day.AddDate(0, 0, -r.IntN(3)).Add(time.Duration((9 + r.Float64()*8) * float64(time.Hour))).UnixMilli()
			en := st + int64((4+r.Float64()*5)*float64(msDay))
			stays = append(stays, iv{st, en})
			continue
		}
		if r.Float64() > 0.78 {
			continue
		}
		var leave time.Time
		x := r.Float64()
		switch {
		case x < 0.6:
			leave = day.Add(time.Duration((16.5 + r.Float64()*4) * float64(time.Hour)))
		case x < 0.85:
			leave = day.AddDate(0, 0, 1).Add(time.Duration((8 + r.Float64()*3) * float64(time.Hour)))
		default:
			leave = day.AddDate(0, 0, -1).Add(time.Duration((18 + r.Float64()*2) * float64(time.Hour)))
		}
		var back time.Time
		if r.Float64() < 0.65 {
			back = day.AddDate(0, 0, 2).Add(time.Duration((15 + r.Float64()*5) * float64(time.Hour)))
		} else {
			back = day.AddDate(0, 0, 3).Add(time.Duration((5.5 + r.Float64()*1.5) * float64(time.Hour)))
		}
		stays = append(stays, iv{leave.UnixMilli(), back.UnixMilli()})
	}
	// sort & drop overlaps
	for i := 1; i < len(stays); i++ {
		for j := i; j > 0 && stays[j].a < stays[j-1].a; j-- {
			stays[j], stays[j-1] = stays[j-1], stays[j]
		}
	}
	var segs []Seg
	cur := s.start - 3*msDay
	for _, st := range stays {
		arrive := st.a + int64(drive)
		if st.a <= cur || arrive >= st.b {
			continue
		}
		segs = append(segs, Seg{a: cur, b: st.a, P: flat})
		segs = append(segs, Seg{a: arrive, b: st.b, P: hp})
		cur = st.b + int64(drive)
	}
	if cur < s.end {
		segs = append(segs, Seg{a: cur, b: s.end, P: flat})
	}
	for i := 0; i < nv; i++ {
		v := s.newViewer(r, cc, 0.75)
		v.Own = append(v.Own, s.newDev(r, Phone, cc))
		if i == 0 {
			v.Own = append(v.Own, s.newDev(r, pickW(r, []Kind{Laptop, Tablet}, []float64{0.6, 0.4}), cc))
		}
		v.Segs = segs
		a.Viewers = append(a.Viewers, v)
	}
}

// ---------------- mobile heavy ----------------

func (s *Sim) buildMobileHeavy(r *rand.Rand, a *Account) {
	home := a.Home
	cc := home.CC
	nv := pickW(r, []int{1, 2}, []float64{0.65, 0.35})
	var p *Place
	v0 := s.newViewer(r, cc, 0.8)
	if r.Float64() < 0.35 && v0.Carrier != nil {
		p = &Place{City: home, FWA: v0.Carrier} // 4G/5G home router
		if r.Float64() < 0.6 {
			p.Fixed = append(p.Fixed, s.newDev(r, pickW(r, []Kind{TV, Stick}, []float64{0.5, 0.5}), cc))
		}
	} else {
		p = s.newPlace(r, home, 0, 0)
		if r.Float64() < 0.3 {
			p.Fixed = append(p.Fixed, s.newDev(r, TV, cc))
		}
	}
	for i := 0; i < nv; i++ {
		v := v0
		if i > 0 {
			v = s.newViewer(r, cc, 0.8)
			if r.Float64() < 0.7 {
				v.Carrier = v0.Carrier
			}
		}
		v.Commuter = true
		v.PMob = 0.8 + r.Float64()*0.15
		v.TabSIM = r.Float64() < 0.6
		v.Churn = 0.15 + r.Float64()*0.2
		v.Own = append(v.Own, s.newDev(r, Phone, cc))
		if r.Float64() < 0.4 {
			v.Own = append(v.Own, s.newDev(r, Tablet, cc))
		}
		if r.Float64() < 0.2 {
			v.Own = append(v.Own, s.newDev(r, Laptop, cc))
			v.Tether = 0.7
		}
		v.Segs = s.whole(p)
		a.Viewers = append(a.Viewers, v)
	}
}

// ---------------- VPN user ----------------

func (s *Sim) buildVPNUser(r *rand.Rand, a *Account) {
	home := a.Home
	cc := home.CC
	n := pickW(r, []int{1, 2, 3}, []float64{0.4, 0.35, 0.25})
	p, vs := s.household(r, home, n, 6, 0.55, false)
	prof := s.newVPNProf(r, cc, "")
	for i, v := range vs {
		if i > 0 && r.Float64() > 0.4 {
			continue
		}
		v.VPN = prof
		if i > 0 && r.Float64() < 0.5 {
			v.VPN = s.newVPNProf(r, cc, "")
		}
		v.VPNShare = 0.3 + r.Float64()*0.5
		v.VPNDevs = map[*Device]bool{}
		hasComp := false
		for _, d := range v.Own {
			if d.Kind == Laptop {
				hasComp = true
			}
		}
		if !hasComp && i == 0 {
			v.Own = append(v.Own, s.newDev(r, Laptop, cc))
		}
		for _, d := range v.Own {
			if d.Kind == Laptop || (d.Kind == Phone && r.Float64() < 0.6) || (d.Kind == Tablet && r.Float64() < 0.4) {
				v.VPNDevs[d] = true
			}
		}
		for _, d := range p.Fixed {
			if d.Kind == Stick && r.Float64() < 0.5 {
				v.VPNDevs[d] = true
			}
		}
	}
	if r.Float64() < 0.15 {
		p.RouterVPN = prof
	}
	a.Viewers = vs
}

// ---------------- sharers ----------------

func (s *Sim) shareStart(r *rand.Rand, a *Account, partway float64, lateMax float64) {
	if r.Float64() < partway {
		a.DesignedFrom = s.start + int64((1.5+r.Float64()*(lateMax-1.5))*float64(msDay))
	} else {
		a.Pre = true
		a.DesignedFrom = s.start - int64((10+r.Float64()*300)*float64(msDay))
	}
}

func (s *Sim) friendCity(r *rand.Rand, home *City, same bool) *City {
	if same {
		return home
	}
	if r.Float64() < 0.7 {
		if cs, w := s.citiesWithin(home, 50, 2000, true, 300); len(cs) > 0 {
			return pickW(r, cs, w)
		}
	}
	for _, hi := range []float64{2000, 3500, 20000} {
		if cs, w := s.citiesWithin(home, 50, hi, false, 40); len(cs) > 0 {
			return pickW(r, cs, w)
		}
	}
	return home
}

// sharerGroup: an unrelated household elsewhere that uses the account.
func (s *Sim) sharerGroup(r *rand.Rand, c *City, sameISP uint32, nDev int, nView int, rate float64, from, to int64) []*Viewer {
	p := &Place{City: c}
	if sameISP != 0 {
		if _, ok := c.ResV4[sameISP]; ok {
			p.Line = s.NewLine(r, c, sameISP, 0)
		}
	}
	if p.Line == nil {
		p.Line = s.NewLine(r, c, 0, 0)
	}
	cc := c.CC
	var devs []*Device
	for i := 0; i < nDev; i++ {
		var k Kind
		if i == 0 {
			k = pickW(r, []Kind{TV, Stick, Phone, Laptop}, []float64{0.45, 0.25, 0.15, 0.15})
		} else {
			k = pickW(r, []Kind{Phone, Tablet, Laptop, TV, Stick}, []float64{0.4, 0.2, 0.2, 0.1, 0.1})
		}
		d := s.newDev(r, k, cc)
		d.Sharer = true
		devs = append(devs, d)
		if !k.Portable() {
			p.Fixed = append(p.Fixed, d)
		}
	}
	var vs []*Viewer
	for i := 0; i < nView; i++ {
		v := s.newViewer(r, cc, rate)
		v.Rate = rate * (0.7 + 0.6*r.Float64())
		v.Sharer = true
		v.Segs = []Seg{{a: max(from, s.start-3*msDay), b: to, P: p}}
		vs = append(vs, v)
	}
	// personal devices assigned round-robin
	k := 0
	for _, d := range devs {
		if d.Kind.Portable() {
			vs[k%len(vs)].Own = append(vs[k%len(vs)].Own, d)
			k++
		}
	}
	return vs
}

func (s *Sim) buildFriendSharer(r *rand.Rand, a *Account, same bool) {
	home := a.Home
	n := pickW(r, []int{1, 2, 3, 4}, []float64{0.3, 0.35, 0.2, 0.15})
	p, vs := s.household(r, home, n, 6, 0.5, false)
	a.Viewers = vs
	s.shareStart(r, a, 0.55, 24)
	fc := s.friendCity(r, home, same)
	var sameISP uint32
	if same && r.Float64() < 0.4 {
		sameISP = p.Line.ASN
	}
	nDev := pickW(r, []int{1, 2, 3, 4}, []float64{0.3, 0.35, 0.2, 0.15})
	nView := min(nDev, pickW(r, []int{1, 2, 3}, []float64{0.5, 0.35, 0.15}))
	perWeek := s.opt.FriendPerWeek * (0.6 + r.Float64())
	rate := perWeek / 7 / float64(nView)
	fv := s.sharerGroup(r, fc, sameISP, nDev, nView, rate, a.DesignedFrom, s.end)
	a.Viewers = append(a.Viewers, fv...)
}

func (s *Sim) buildReseller(r *rand.Rand, a *Account) {
	home := a.Home
	cc := home.CC
	_, vs := s.household(r, home, pickW(r, []int{1, 2}, []float64{0.6, 0.4}), 3, 0.6, false)
	a.Viewers = vs
	s.shareStart(r, a, 0.45, 20)
	ng := 4 + r.IntN(11) // 4..14 buyers + the owner = 5..15 parties
	for g := 0; g < ng; g++ {
		var c *City
		if r.Float64() < 0.35 {
			c = s.pickHomeCity(r, cc)
		} else {
			c = s.pickHomeCity(r, s.pickCountry(r))
		}
		from := a.DesignedFrom
		to := s.end
		if a.Pre {
			if r.Float64() < 0.2 {
				from = s.start + int64(r.Float64()*float64(s.end-s.start)*0.8)
			}
			if r.Float64() < 0.1 {
				to = s.start + int64((0.3+0.6*r.Float64())*float64(s.end-s.start))
			}
		} else if g > 0 {
			from += int64(r.ExpFloat64() * 2.5 * float64(msDay))
		}
		nDev := pickW(r, []int{1, 2, 3}, []float64{0.4, 0.4, 0.2})
		nView := min(nDev, pickW(r, []int{1, 2}, []float64{0.6, 0.4}))
		gv := s.sharerGroup(r, c, 0, nDev, nView, 0.4+r.Float64()*0.5, from, to)
		a.Viewers = append(a.Viewers, gv...)
	}
}

// ---------------- population ----------------

func (s *Sim) Run() {
	n := s.opt.Accounts
	// exact scenario counts, shuffled over account ids
	var scen []string
	for i, m := range scenarioMix {
		k := int(math.Round(m.Share * float64(n)))
		if i == 0 {
			continue
		}
		for j := 0; j < k; j++ {
			scen = append(scen, m.Name)
		}
	}
	for len(scen) < n {
		scen = append(scen, scenarioMix[0].Name)
	}
	scen = scen[:n]
	r := subRNG(s.opt.Seed, "scenarios")
	r.Shuffle(len(scen), func(i, j int) { scen[i], scen[j] = scen[j], scen[i] })
	for i := 0; i < n; i++ {
		a := s.buildAccount(i, scen[i])
		rr := subRNG(s.opt.Seed, "sessions", itoa(i))
		for try := 0; ; try++ {
			for _, v := range a.Viewers {
				s.runViewer(a, v, rr)
			}
			// a sharing account whose sharers never showed up in the window gets another draw
			if !a.Sharing || a.Pre || a.firstShare != 0 || try >= 5 {
				break
			}
			for _, v := range a.Viewers {
				if v.Sharer {
					v.Rate *= 1.5
				}
			}
			// drop what this account emitted and redo
			s.dropAccount(a)
		}
		s.accs = append(s.accs, a)
	}
}

func (s *Sim) dropAccount(a *Account) {
	k := len(s.events)
	for k > 0 && s.events[k-1].Acc == a.Idx {
		k--
	}
	s.events = s.events[:k]
	a.firstShare = 0
	for _, v := range a.Viewers {
		v.busy = v.busy[:0]
		for _, d := range v.Own {
			d.busy = d.busy[:0]
		}
		for _, sg := range v.Segs {
			for _, d := range sg.P.Fixed {
				d.busy = d.busy[:0]
			}
		}
	}
}
