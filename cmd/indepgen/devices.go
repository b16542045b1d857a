package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

type Kind uint8

const (
	Phone Kind = iota
	Tablet
	Laptop
	Desktop
	TV
	Stick
	Console
)

var kindNames = []string{"phone", "tablet", "laptop", "desktop", "tv", "stick", "console"}

func (k Kind) Portable() bool { return k == Phone || k == Tablet || k == Laptop }
func (k Kind) Big() bool      { return k == TV || k == Stick || k == Console }

type Client uint8

const (
	cIOSApp Client = iota
	cIOSSafari
	cAndroidApp
	cAndroidChrome
	cIPadApp
	cIPadSafari
	cAndroidTabApp
	cWinChrome
	cWinEdge
	cWinFirefox
	cMacSafari
	cMacChrome
	cLinuxFirefox
	cChromeOS
	cTizen
	cWebOS
	cAndroidTV
	cVidaa
	cRoku
	cFireTV
	cChromecast
	cAppleTV
	cPS5
	cXbox
)

type idPeriod struct {
	from int64 // unix ms
	id   string
}

type Device struct {
	Kind       Kind
	Client     Client
	Model      string
	AndroidVer int
	Build      string
	TVVer      string
	Locale     string
	Lag        float64 // software-update lag in days
	SendsUA    bool
	V6         bool
	HBDev      bool // include device_id on heartbeat/logout
	Browser    bool
	Sharer     bool // belongs to a sharing party (truth only)
	ids        []idPeriod
	busy       []ival
	lastKey    int64
	lastUA     string
	stableIID  uint64
}

type ival struct{ a, b int64 }

func overlaps(l []ival, a, b int64) bool {
	for _, x := range l {
		if a < x.b && x.a < b {
			return true
		}
	}
	return false
}

// ID returns the device id in force at time t (browsers occasionally lose cookies).
func (d *Device) ID(t int64) string {
	id := d.ids[0].id
	for _, p := range d.ids[1:] {
		if p.from <= t {
			id = p.id
		}
	}
	return id
}

func pickW[T any](r *rand.Rand, items []T, w []float64) T {
	tot := 0.0
	for _, x := range w {
		tot += x
	}
	x := r.Float64() * tot
	for i, wi := range w {
		x -= wi
		if x < 0 {
			return items[i]
		}
	}
	return items[len(items)-1]
}

func hexs(r *rand.Rand, n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[r.IntN(16)]
	}
	return string(b)
}

func uuid4(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = (a &^ (0xf << 12)) | (0x4 << 12)
	b = (b &^ (0x3 << 62)) | (0x2 << 62)
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (d *Device) newID(r *rand.Rand) string {
	switch d.Client {
	case cIOSApp, cIPadApp, cAppleTV:
		return strings.ToUpper(uuid4(r))
	case cAndroidApp, cAndroidTabApp, cAndroidTV, cFireTV, cChromecast:
		return hexs(r, 16)
	case cIOSSafari, cAndroidChrome, cIPadSafari, cWinChrome, cWinEdge, cWinFirefox, cMacSafari, cMacChrome, cLinuxFirefox, cChromeOS:
		return "web-" + hexs(r, 32)
	case cRoku:
		return "roku-" + strings.ToUpper(hexs(r, 12))
	case cPS5, cXbox:
		return "cons-" + hexs(r, 24)
	default:
		return "tv-" + uuid4(r)
	}
}

type UAOpts struct {
	UAShare   float64
	IPv6Share float64
}

var locales = map[string]string{"US": "en_US", "CA": "en_CA", "MX": "es_MX", "BR": "pt_BR", "AR": "es_AR", "CL": "es_CL", "CO": "es_CO",
	"GB": "en_GB", "DE": "de_DE", "FR": "fr_FR", "IT": "it_IT", "ES": "es_ES", "NL": "nl_NL", "SE": "sv_SE", "PL": "pl_PL", "NO": "nb_NO",
	"DK": "da_DK", "IE": "en_IE", "CH": "de_CH", "AT": "de_AT", "BE": "nl_BE", "PT": "pt_PT", "FI": "fi_FI", "JP": "ja_JP", "KR": "ko_KR",
	"AU": "en_AU", "NZ": "en_NZ", "IN": "en_IN", "SG": "en_SG"}

func androidBuild(r *rand.Rand, ver int) string {
	switch ver {
	case 13:
		return pickW(r, []string{"TP1A.220624.014", "TQ3A.230901.001"}, []float64{1, 1})
	case 14:
		return pickW(r, []string{"UP1A.231005.007", "UQ1A.240205.004", "AP2A.240805.005"}, []float64{2, 1, 1})
	case 15:
		return pickW(r, []string{"AP3A.240905.015.A2", "AP4A.250205.002", "BP1A.250505.005"}, []float64{2, 1, 1})
	default:
		return pickW(r, []string{"BP2A.250605.031.A2", "BP3A.250905.014"}, []float64{1, 1})
	}
}

// NewDevice creates a device of the given kind for somebody living in country cc.
func NewDevice(r *rand.Rand, k Kind, cc string, o UAOpts) *Device {
	d := &Device{Kind: k, Locale: locales[cc]}
	if d.Locale == "" {
		d.Locale = "en_US"
	}
	iph := 0.4
	if c, ok := countriesByCC[cc]; ok {
		iph = c.IPhoneShare
	}
	latam := cc == "MX" || cc == "BR" || cc == "AR" || cc == "CL" || cc == "CO"
	rokuLand := cc == "US" || cc == "CA" || cc == "MX" || cc == "GB"
	switch k {
	case Phone:
		if r.Float64() < iph {
			d.Client = pickW(r, []Client{cIOSApp, cIOSSafari}, []float64{0.88, 0.12})
			d.Model = pickW(r, []string{"iPhone18,1", "iPhone18,3", "iPhone17,1", "iPhone17,3", "iPhone17,2", "iPhone16,2", "iPhone16,1", "iPhone15,4", "iPhone15,2", "iPhone14,7", "iPhone14,5", "iPhone14,2", "iPhone13,2", "iPhone12,8"},
				[]float64{3, 4, 5, 6, 4, 5, 5, 6, 5, 6, 7, 4, 4, 2})
		} else {
			d.Client = pickW(r, []Client{cAndroidApp, cAndroidChrome}, []float64{0.85, 0.15})
			var models []string
			var w []float64
			switch {
			case cc == "US" || cc == "CA":
				models = []string{"SM-S938U", "SM-S931U", "SM-S921U", "SM-S911U", "SM-A156U", "SM-A256U", "Pixel 9", "Pixel 9 Pro", "Pixel 8a", "Pixel 10", "moto g 5G - 2024", "moto g stylus 5G - 2024", "motorola razr 2024"}
				w = []float64{4, 5, 6, 4, 5, 3, 4, 2, 3, 2, 3, 2, 1}
			case latam:
				models = []string{"SM-A155M", "SM-A256E", "SM-A356E", "SM-A556E", "SM-S921B", "moto g84 5G", "moto g54 5G", "moto g24", "motorola edge 50 fusion", "23129RAA4G", "2312DRA50G"}
				w = []float64{6, 5, 4, 3, 2, 4, 5, 4, 2, 3, 2}
			case cc == "IN":
				models = []string{"SM-A356E", "SM-M356B", "23129RAA4G", "2312DRA50I", "V2318", "V2250", "CPH2581", "CPH2565", "RMX3830", "Pixel 8a"}
				w = []float64{3, 2, 4, 3, 3, 2, 3, 2, 3, 1}
			case cc == "JP":
				models = []string{"SO-51E", "SH-53D", "SH-51E", "Pixel 9", "Pixel 8a", "SC-51E", "A402SO"}
				w = []float64{3, 3, 2, 4, 3, 2, 1}
			case cc == "KR":
				models = []string{"SM-S938N", "SM-S931N", "SM-S921N", "SM-F956N", "SM-A356N", "SM-A166N"}
				w = []float64{4, 4, 4, 2, 2, 2}
			default:
				models = []string{"SM-S938B", "SM-S931B", "SM-S921B", "SM-S911B", "SM-A556B", "SM-A356B", "SM-A256B", "SM-A155F", "Pixel 9", "Pixel 8a", "23129RAA4G", "2312DRA50G", "CPH2581", "CPH2565", "XQ-EC72"}
				w = []float64{2, 3, 4, 4, 4, 4, 3, 4, 2, 2, 3, 2, 1, 1, 1}
			}
			d.Model = pickW(r, models, w)
			d.AndroidVer = pickW(r, []int{13, 14, 15, 16}, []float64{1, 3, 4, 3})
			d.Build = androidBuild(r, d.AndroidVer)
		}
	case Tablet:
		if r.Float64() < 0.35+0.4*iph {
			d.Client = pickW(r, []Client{cIPadApp, cIPadSafari}, []float64{0.75, 0.25})
			d.Model = pickW(r, []string{"iPad16,3", "iPad14,1", "iPad13,18", "iPad13,16", "iPad12,1", "iPad15,7"}, []float64{1, 2, 3, 2, 3, 2})
		} else {
			d.Client = cAndroidTabApp
			d.Model = pickW(r, []string{"SM-X710", "SM-X210", "SM-X110", "SM-X520", "KFRAWI", "KFTUWI", "23043RP34G"}, []float64{2, 3, 3, 1, 2, 1, 1})
			d.AndroidVer = pickW(r, []int{11, 13, 14, 15}, []float64{1, 2, 3, 2})
			if strings.HasPrefix(d.Model, "KF") {
				d.AndroidVer = 11
				d.Build = "RS8149"
			} else {
				d.Build = androidBuild(r, max(d.AndroidVer, 13))
			}
		}
	case Laptop, Desktop:
		mac := 0.25
		if k == Desktop {
			mac = 0.1
		}
		if cc == "IN" || latam {
			mac *= 0.5
		}
		if r.Float64() < mac {
			d.Client = pickW(r, []Client{cMacSafari, cMacChrome}, []float64{0.6, 0.4})
		} else {
			d.Client = pickW(r, []Client{cWinChrome, cWinEdge, cWinFirefox, cChromeOS, cLinuxFirefox}, []float64{0.62, 0.2, 0.1, 0.05, 0.03})
		}
		d.Browser = true
	case TV:
		cs := []Client{cTizen, cWebOS, cAndroidTV, cVidaa, cRoku}
		w := []float64{0.34, 0.26, 0.22, 0.08, 0}
		if rokuLand {
			w[4] = 0.15
		}
		d.Client = pickW(r, cs, w)
		switch d.Client {
		case cTizen:
			d.TVVer = pickW(r, []string{"5.5", "6.0", "6.5", "7.0", "8.0", "9.0"}, []float64{1, 2, 3, 3, 3, 2})
		case cWebOS:
			d.TVVer = pickW(r, []string{"79.0.3945.79", "87.0.4280.88", "94.0.4606.128", "108.0.5359.211", "120.0.6099.270"}, []float64{1, 2, 3, 3, 2})
		case cAndroidTV:
			d.Model = pickW(r, []string{"BRAVIA 4K VH2", "BRAVIA 4K UR3", "BRAVIA XR 4K", "Smart TV Pro", "Smart TV", "2K22 Philips TV", "MiTV-AXSO0", "TPM211E"}, []float64{2, 2, 2, 2, 2, 1, 1, 1})
			d.AndroidVer = pickW(r, []int{10, 11, 12}, []float64{1, 2, 2})
			d.Build = map[int]string{10: "QTG3.201102.001", 11: "RTT2.220118.001", 12: "STT1.211025.001.Z4"}[d.AndroidVer]
		case cVidaa:
			d.TVVer = pickW(r, []string{"5.0", "6.0", "7.0"}, []float64{1, 2, 2})
		case cRoku:
			d.Model = pickW(r, []string{"7000X", "C000X", "D000X", "G000X"}, []float64{2, 3, 3, 1})
		}
	case Stick:
		cs := []Client{cFireTV, cChromecast, cRoku, cAppleTV}
		w := []float64{0.4, 0.3, 0, 0.15 + 0.2*iph}
		if rokuLand {
			w[2] = 0.2
		}
		d.Client = pickW(r, cs, w)
		switch d.Client {
		case cFireTV:
			d.Model = pickW(r, []string{"AFTKA", "AFTKM", "AFTSSS", "AFTKRT", "AFTMM"}, []float64{3, 2, 3, 2, 1})
			d.AndroidVer = 9
			if d.Model == "AFTKRT" || d.Model == "AFTKM" {
				d.AndroidVer = 11
			}
			d.Build = pickW(r, []string{"PS7646.4126N", "PS7633.3445N", "RS8149", "RS8147"}, []float64{1, 1, 1, 1})
		case cChromecast:
			d.Model = pickW(r, []string{"Chromecast", "Google TV Streamer"}, []float64{3, 1})
			d.AndroidVer = 14
			d.Build = "UTTK.241205.003"
		case cRoku:
			d.Model = pickW(r, []string{"3960X", "3820X", "3941X", "4850X"}, []float64{2, 3, 2, 1})
		case cAppleTV:
			d.Model = pickW(r, []string{"AppleTV14,1", "AppleTV11,1", "AppleTV6,2"}, []float64{3, 2, 1})
		}
	case Console:
		d.Client = pickW(r, []Client{cPS5, cXbox}, []float64{0.6, 0.4})
	}
	// software-update lag (days): most devices update within a week, a few never
	switch {
	case r.Float64() < 0.06:
		d.Lag = 200 + r.Float64()*300
	default:
		d.Lag = r.ExpFloat64() * 6
	}
	if d.Client == cIOSApp || d.Client == cIOSSafari || d.Client == cIPadApp || d.Client == cIPadSafari || d.Client == cAppleTV {
		d.Lag += r.ExpFloat64() * 35 // OS updates are slower
	}
	d.SendsUA = r.Float64() < o.UAShare
	d.HBDev = r.Float64() < 0.7
	v6p := map[Kind]float64{Phone: 0.97, Tablet: 0.95, Laptop: 0.97, Desktop: 0.95, TV: 0.6, Stick: 0.85, Console: 0.75}[k]
	d.V6 = r.Float64() < v6p
	d.stableIID = r.Uint64()
	if d.Client == cIOSSafari || d.Client == cAndroidChrome || d.Client == cIPadSafari {
		d.Browser = true
	}
	d.ids = []idPeriod{{math.MinInt64, d.newID(r)}}
	d.lastKey = -1
	return d
}

// planIDResets gives browser devices occasional new device ids (cleared cookies / private windows).
func (d *Device) planIDResets(r *rand.Rand, from, to int64, perWeek float64) {
	if !d.Browser {
		return
	}
	week := int64(7 * 24 * 3600 * 1000)
	for t := from; t < to; t += week {
		if r.Float64() < perWeek {
			d.ids = append(d.ids, idPeriod{t + r.Int64N(week), d.newID(r)})
		}
	}
}

var (
	chromeEpoch  = time.Date(2024, 10, 15, 0, 0, 0, 0, time.UTC)
	firefoxEpoch = time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	iosEpoch     = time.Date(2025, 9, 15, 0, 0, 0, 0, time.UTC)
	appEpoch     = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
)

func daysSince(t, e time.Time) float64 { return t.Sub(e).Hours() / 24 }

func chromeMajor(t time.Time) int  { return 130 + int(math.Floor(daysSince(t, chromeEpoch)/28)) }
func firefoxMajor(t time.Time) int { return 131 + int(math.Floor(daysSince(t, firefoxEpoch)/28)) }

// iOS: year-named majors every mid-September, a minor every ~7 weeks.
func iosVer(t time.Time) (int, int, int) {
	d := daysSince(t, iosEpoch)
	if d < 0 {
		d = 0
	}
	y := int(d / 365.25)
	in := d - float64(y)*365.25
	minor := int(in / 49)
	patch := int((in - float64(minor)*49) / 17)
	return 26 + y, minor, patch
}

func appVer(t time.Time) (int, int) {
	d := daysSince(t, appEpoch)
	y := int(d / 365.25)
	in := d - float64(y)*365.25
	return 9 + y, int(in / 14)
}

// UA returns the user agent this device sends at time t (ms).
func (d *Device) UA(tms int64) string {
	t := time.UnixMilli(tms).UTC().Add(-time.Duration(d.Lag * 24 * float64(time.Hour)))
	// cache key: the day the effective software version is based on
	key := t.Unix() / 86400
	if key == d.lastKey {
		return d.lastUA
	}
	d.lastKey = key
	d.lastUA = d.buildUA(t)
	return d.lastUA
}

func (d *Device) buildUA(t time.Time) string {
	cm := chromeMajor(t)
	im, imin, ipat := iosVer(t)
	am, amin := appVer(t)
	iosStr := fmt.Sprintf("%d.%d", im, imin)
	if ipat > 0 {
		iosStr += fmt.Sprintf(".%d", ipat)
	}
	cfn := fmt.Sprintf("%d.%d.%d", 3826+100*(im-26), 100*imin+400, 2+ipat)
	darwin := fmt.Sprintf("%d.%d.0", im-1, imin)
	app := fmt.Sprintf("%d.%d.%d", am, amin, 0)
	switch d.Client {
	case cIOSApp:
		return fmt.Sprintf("StreamBox/%s (%s; iOS %s; Scale/3.00) CFNetwork/%s Darwin/%s", app, d.Model, iosStr, cfn, darwin)
	case cIOSSafari:
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Mobile/15E148 Safari/604.1", im, imin)
	case cIPadApp:
		return fmt.Sprintf("StreamBox/%s (%s; iPadOS %s; Scale/2.00) CFNetwork/%s Darwin/%s", app, d.Model, iosStr, cfn, darwin)
	case cIPadSafari:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Safari/605.1.15", im, imin)
	case cAndroidApp:
		return fmt.Sprintf("StreamBox/%s (Linux; Android %d; %s Build/%s) ExoPlayerLib/2.19.1", app, d.AndroidVer, d.Model, d.Build)
	case cAndroidTabApp:
		return fmt.Sprintf("Dalvik/2.1.0 (Linux; U; Android %d; %s Build/%s)", d.AndroidVer, d.Model, d.Build)
	case cAndroidChrome:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", cm)
	case cWinChrome:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cm)
	case cWinEdge:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%d.%d", cm, cm, 3000+cm*7%400, 40+cm%50)
	case cWinFirefox:
		fm := firefoxMajor(t)
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", fm, fm)
	case cLinuxFirefox:
		fm := firefoxMajor(t)
		return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", fm, fm)
	case cMacSafari:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Safari/605.1.15", im, imin)
	case cMacChrome:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cm)
	case cChromeOS:
		return fmt.Sprintf("Mozilla/5.0 (X11; CrOS x86_64 %d.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 14541+(cm-130)*150, cm)
	case cTizen:
		eng := map[string]string{"5.5": "69.0.3497.106", "6.0": "76.0.3809.146", "6.5": "85.0.4183.93", "7.0": "94.0.4606.31", "8.0": "108.0.5359.1", "9.0": "120.0.6099.5"}[d.TVVer]
		return fmt.Sprintf("Mozilla/5.0 (SMART-TV; LINUX; Tizen %s) AppleWebKit/537.36 (KHTML, like Gecko) %s/%s TV Safari/537.36", d.TVVer, eng, d.TVVer)
	case cWebOS:
		return fmt.Sprintf("Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36 WebAppManager", d.TVVer)
	case cAndroidTV, cFireTV, cChromecast:
		return fmt.Sprintf("Dalvik/2.1.0 (Linux; U; Android %d; %s Build/%s)", d.AndroidVer, d.Model, d.Build)
	case cVidaa:
		eng := map[string]string{"5.0": "91.0.4472.77", "6.0": "97.0.4692.99", "7.0": "105.0.5195.153"}[d.TVVer]
		return fmt.Sprintf("Mozilla/5.0 (Linux; VIDAA %s; Hisense SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36", d.TVVer, eng)
	case cRoku:
		rv := 14 + int(daysSince(t, appEpoch)/200)
		return fmt.Sprintf("Roku/DVP-%d.%d (%d.%d.4.%d-%s)", rv, int(daysSince(t, appEpoch)/40)%6, rv, int(daysSince(t, appEpoch)/40)%6, 5100+int(daysSince(t, appEpoch))%700, d.Model[:2])
	case cAppleTV:
		return fmt.Sprintf("AppleCoreMedia/1.0.0.%dJ%d (Apple TV; U; CPU OS %d_%d like Mac OS X; %s)", im-3, 300+imin*40, im, imin, strings.ToLower(d.Locale))
	case cPS5:
		fw := 10 + int(daysSince(t, appEpoch)/120)
		return fmt.Sprintf("Mozilla/5.0 (PlayStation; PlayStation 5/%d.%d0) AppleWebKit/605.1.15 (KHTML, like Gecko)", fw, int(daysSince(t, appEpoch)/30)%4*2)
	case cXbox:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox Series X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.0.0", cm-1, cm-1)
	}
	return "Mozilla/5.0"
}
