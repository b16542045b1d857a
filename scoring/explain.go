package scoring

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
)

// Reason codes: machine-readable, stable across model versions. Analysts
// filter on them; the explanation sentence says the same in words.
const (
	ReasonConcurrentHouseholds = "concurrent_households" // another persistent household streamed at the same time on recent days
	ReasonConcurrentNow        = "concurrent_now"        // this session overlaps another household's session
	ReasonSecondHousehold      = "second_household"      // a persistent household other than the owner's uses the account
	ReasonManyHouseholds       = "many_households"       // three or more households use the account
	ReasonNewDeviceNewPlace    = "new_device_new_place"  // a brand-new device at a new place overlapped the household
	ReasonDeviceTeleport       = "device_teleport"       // one device moved faster than any travel allows
	ReasonTravelKnownDevice    = "travel_known_device"   // the household's own device is away from home
	ReasonTravelHotel          = "travel_hotel"          // a hotel's in-room TV: somebody staying away from home
	ReasonTravelBusinessLine   = "travel_business_line"  // a business-only carrier's line (hotel, office): not a home
	ReasonTravelHomeCarrier    = "travel_home_carrier"   // a device abroad also on a mobile carrier of the home's country (roaming)
	ReasonHostingNetwork       = "hosting_network"       // hosting/VPN exit; its location is not used
	ReasonCoarseLocation       = "coarse_location"       // accuracy radius too large to place a person
	ReasonPrivateAddress       = "private_address"       // private or non-routable address
	ReasonUnknownLocation      = "unknown_location"      // address not in the GeoIP database
	ReasonNewDevice            = "new_device"            // first event of this device
	ReasonFailedLogin          = "failed_login"          // failed logins open no session
	ReasonSingleHousehold      = "single_household"      // all activity fits one household
	ReasonHouseholdConcurrency = "household_concurrency" // several sessions at once, all in one household
	ReasonApartFromHome        = "apart_from_home"       // the other households were active only when one person could have travelled there from the home
	ReasonScatteredHouseholds  = "scattered_households"  // three or more lines far apart used within three days, each by devices never seen elsewhere
	ReasonFlaggedCameHome      = "flagged_came_home"     // not flagged now: devices the account was last flagged for, as another household's, are now the household's own (a long stay that ended; an account held on it may have been held wrongly)

	// Why a score at the sharing threshold stays suspected_sharing (for a
	// person to judge) instead of sharing (which automated holds act on).
	ReasonHeldShortSpan    = "held_short_span"    // the other household's home has not lasted sharing_min_span_days
	ReasonHeldQuiet        = "held_quiet"         // no streaming at the same time in 14 days, and too few active days (sharing_quiet_min_days)
	ReasonHeldShortHistory = "held_short_history" // the account has fewer than sharing_min_history_days of history
	ReasonHeldNotRecent    = "held_not_recent"    // no other household streamed in the last week
)

// reasonCodes is every reason code above, in that order.
var reasonCodes = []string{
	ReasonConcurrentHouseholds, ReasonConcurrentNow, ReasonSecondHousehold, ReasonManyHouseholds,
	ReasonNewDeviceNewPlace, ReasonDeviceTeleport, ReasonTravelKnownDevice, ReasonTravelHotel,
	ReasonTravelBusinessLine, ReasonTravelHomeCarrier, ReasonHostingNetwork, ReasonCoarseLocation,
	ReasonPrivateAddress, ReasonUnknownLocation, ReasonNewDevice, ReasonFailedLogin,
	ReasonSingleHousehold, ReasonHouseholdConcurrency, ReasonApartFromHome, ReasonScatteredHouseholds,
	ReasonFlaggedCameHome, ReasonHeldShortSpan, ReasonHeldQuiet, ReasonHeldShortHistory, ReasonHeldNotRecent,
}

// ReasonCodes returns every reason code a verdict may carry, for those who
// put them in words (ticket texts) or list them (dashboards).
func ReasonCodes() []string { return slices.Clone(reasonCodes) }

func placeName(p *place) string {
	switch {
	case p == nil:
		return "an unknown place"
	case p.city != "" && p.country != "":
		return p.city + " (" + p.country + ")"
	case p.city != "":
		return p.city
	case p.country != "":
		return p.country
	}
	return "an unnamed place"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// explain returns the reason codes and the one-sentence explanation.
func (s *Scorer) explain(a *account, hs []household, x *Features, obs *observation, ev *ingest.Event, label Label, e evidence) ([]string, string) {
	reasons := make([]string, 0, 4)
	var home, foreign *place
	if e.primary >= 0 {
		home = &a.places[e.primary]
	}
	if e.foreign > 0 && e.foreignHome >= 0 {
		foreign = &a.places[e.foreignHome]
	}
	if e.conflictDays > 0 {
		reasons = append(reasons, ReasonConcurrentHouseholds)
	}
	if obs.conflict {
		reasons = append(reasons, ReasonConcurrentNow)
	}
	if e.foreign >= 2 {
		reasons = append(reasons, ReasonManyHouseholds)
	} else if e.foreign == 1 {
		reasons = append(reasons, ReasonSecondHousehold)
	}
	if e.apart {
		reasons = append(reasons, ReasonApartFromHome)
	}
	if e.scattered >= minScattered {
		reasons = append(reasons, ReasonScatteredHouseholds)
	}
	if x[6] > 0 {
		reasons = append(reasons, ReasonNewDeviceNewPlace)
	}
	if obs.teleport {
		reasons = append(reasons, ReasonDeviceTeleport)
	}
	if label == LabelTravel {
		switch {
		case obs.hotel:
			reasons = append(reasons, ReasonTravelHotel)
		case obs.business:
			reasons = append(reasons, ReasonTravelBusinessLine)
		case obs.roaming:
			reasons = append(reasons, ReasonTravelHomeCarrier)
		default:
			reasons = append(reasons, ReasonTravelKnownDevice)
		}
	}
	switch {
	case ev.Type == ingest.TypeLogin && !ev.Success:
		reasons = append(reasons, ReasonFailedLogin)
	case obs.loc.Hosting:
		reasons = append(reasons, ReasonHostingNetwork)
	case obs.loc.Kind == enrich.KindPrivate:
		reasons = append(reasons, ReasonPrivateAddress)
	case obs.loc.Kind == enrich.KindUnknown || (obs.loc.Kind == enrich.KindPublic && !obs.loc.HasCoords):
		reasons = append(reasons, ReasonUnknownLocation)
	case !obs.trusted && obs.loc.Kind == enrich.KindPublic:
		reasons = append(reasons, ReasonCoarseLocation)
	}
	if obs.newDevice {
		reasons = append(reasons, ReasonNewDevice)
	}
	if len(reasons) == 0 || (e.foreign == 0 && e.conflictDays == 0 && label == LabelOK) {
		reasons = append(reasons, ReasonSingleHousehold)
	}

	homeName := "home"
	switch {
	case home != nil && e.homeUnclear:
		homeName = "the household in " + placeName(home)
	case home != nil:
		homeName = "the home in " + placeName(home)
	}
	var sentence string
	switch {
	case e.byScatter:
		names := make([]string, 0, len(e.spots))
		for _, p := range e.spots {
			names = append(names, placeName(&a.places[p]))
		}
		among := ""
		if e.scattered > len(e.spots) {
			among = "among them "
		}
		sentence = fmt.Sprintf("%d places far apart, %sin %s and %s, were used within 3 days, each by devices never seen anywhere else: several people in several places, not one person travelling.",
			e.scattered, among, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
	case label.Flagged() && e.foreign >= 2:
		sentence = fmt.Sprintf("%d separate households besides %s used the account in the last 28 days, the most persistent in %s on %d days; they streamed at the same time on %d of the last 14 days.",
			e.foreign, homeName, placeName(foreign), e.foreignDays, e.conflictDays)
	case label.Flagged() && e.conflictDays > 0 && foreign != nil:
		sentence = fmt.Sprintf("%s never seen at %s %s %s at the same time as the household, on %d of the last 14 days (active on %d of the last 28).",
			plural(e.foreignDevs, "device", "devices"), homeName, verb(e.foreignDevs, "streams", "stream"), whereElse(home, foreign), e.conflictDays, e.foreignDays)
	case label.Flagged() && foreign != nil:
		apart := ""
		if e.apart {
			apart = ", never close enough in time to the household's streaming to be somebody else"
		}
		sentence = fmt.Sprintf("A second household in %s, with %s of its own on its own network, used the account on %d of the last 28 days, over %d days%s.",
			placeName(foreign), plural(e.foreignDevs, "device", "devices"), e.foreignDays, e.foreignSpan, apart)
	case label.Flagged() && x[6] > 0:
		sentence = fmt.Sprintf("A new device on a new network streamed at the same time as the household at %s; one more day like this makes it a second household.", homeName)
	case label.Flagged():
		sentence = fmt.Sprintf("Activity at places one household cannot be at simultaneously (score %.2f).", s.model.Score(x))
	case label == LabelTravel && obs.hotel:
		sentence = fmt.Sprintf("A hotel's in-room TV streams in %s, %.0f km from %s; a hotel is where people stay when away, not somebody's home, so this looks like travel.",
			placeName(&place{city: obs.loc.City, country: obs.loc.Country}), obs.travelKM, homeName)
	case label == LabelTravel && obs.business:
		sentence = fmt.Sprintf("The address in %s, %.0f km from %s, is on AS%d%s, a carrier that serves businesses and hotels, not homes; so this looks like a stay away from home.",
			placeName(&place{city: obs.loc.City, country: obs.loc.Country}), obs.travelKM, homeName, obs.loc.ASN, quote(obs.loc.ASOrg))
	case label == LabelTravel && obs.roaming:
		sentence = fmt.Sprintf("A device streaming in %s, %.0f km from %s, also used a mobile network of %s, the home's country, as a phone roaming from home does; so this looks like the household travelling.",
			placeName(&place{city: obs.loc.City, country: obs.loc.Country}), obs.travelKM, homeName, home.country)
	case label == LabelTravel:
		sentence = fmt.Sprintf("The household's own device is in %s, %.0f km from %s; a known device moving explains the change, so this looks like the owner travelling.",
			placeName(&place{city: obs.loc.City, country: obs.loc.Country}), obs.travelKM, homeName)
	case obs.loc.Hosting:
		sentence = fmt.Sprintf("The address belongs to hosting/VPN network AS%d%s, so its location is not used; the account shows no second household.", obs.loc.ASN, quote(obs.loc.ASOrg))
	case e.apart && foreign != nil:
		sentence = fmt.Sprintf("A second place in %s, with devices never seen at %s, was used on %d of the last 28 days, but never close enough in time to the household's streaming to be somebody else; one person travelling between the two looks the same, so it is not flagged.", placeName(foreign), homeName, e.foreignDays)
	case e.foreign == 1 && e.conflictDays == 0:
		sentence = fmt.Sprintf("A second place in %s, with devices never seen at %s, was used on %d of the last 28 days but never at the same time as the household; not enough to call it sharing.", placeName(foreign), homeName, e.foreignDays)
	case e.conflictDays > 0:
		sentence = fmt.Sprintf("Streams at the same time from two households on %d of the last 14 days, but too little to call it sharing yet.", e.conflictDays)
	default:
		n := 0
		if len(hs) > 0 {
			n = popcount32(hs[0].devices)
		}
		if home == nil {
			// No network of the household was used on two days yet.
			sentence = fmt.Sprintf("All activity fits one household (%s; no home network known yet); no second household.", plural(n, "device", "devices"))
		} else {
			sentence = fmt.Sprintf("All activity fits one household (%s, %s); no second household.", homeName, plural(n, "device", "devices"))
		}
	}
	if e.cameHome != 0 { // never set on a flagged verdict (see cameHome)
		n := popcount32(e.cameHome)
		reasons = append(reasons, ReasonFlaggedCameHome)
		sentence = strings.TrimSuffix(sentence, ".") + fmt.Sprintf("; %s taken for another household's when the account was flagged on %s %s since streamed as this household's own.",
			plural(n, "device", "devices"), time.Unix(int64(a.flagAt), 0).UTC().Format(time.DateOnly), verb(n, "has", "have"))
	}
	return reasons, sentence
}

// whereElse names the other household's place, saying "on another home
// network in" when it is in the owner's own city.
func whereElse(home, other *place) string {
	if home != nil && other != nil && home.city != "" && home.city == other.city && home.country == other.country {
		return "on another home network in " + placeName(other)
	}
	return "in " + placeName(other)
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	return " (" + strings.TrimSpace(s) + ")"
}

// Device kinds guessed from the user agent.
const (
	kindUnknown uint8 = iota
	kindTV            // smart TVs, streaming sticks, consoles: they stay at one home line
	kindPhone
	kindTablet
	kindComputer  // a desktop browser: a laptop or desktop, on a home or office line, never on mobile data itself
	kindLodgingTV // a hotel's in-room TV (hospitality platform): the line is a hotel's, nobody's home
	kindOther     // a user agent that names no known platform
)

// lodgingMarkers are user-agent fragments of hospitality TV platforms, the
// in-room TVs of hotels, hospitals and holiday lets (LG Pro:Centric,
// Samsung LYNK and hospitality browsers, Philips MediaSuite, Sonifi,
// Enseo). Nobody has one at home: a line where one streams is a stay.
var lodgingMarkers = []string{
	"pro:centric", "procentric", "lynk", "hospitality", "mediasuite", "sonifi", "enseo",
}

// fixedMarkers are user-agent fragments of devices that do not travel on
// mobile data: TVs, streaming sticks and consoles.
var fixedMarkers = []string{
	"smart-tv", "smarttv", "tv safari", "appletv", "apple tv", "googletv", "google tv", "android tv", "tizen", "webos", "web0s",
	"roku", "bravia", "aftka", "aftmm", "aftss", "afts", "aftt", "firetv", "fire tv", "crkey", "chromecast", "hbbtv",
	"netcast", "vidaa", "playstation", "xbox", "nintendo", "philipstv", "smart tv", "hisense", "aquos", "viera",
}

// androidModel returns the model token of a lower-cased Android user
// agent: what stands between the last "; " and " build/" in its
// parenthesis, as in "dalvik/2.1.0 (linux; u; android 9; aftkm build/ps7633)".
// It returns "" for other user agents.
func androidModel(u string) string {
	i := strings.Index(u, " build/")
	if i < 0 || !strings.Contains(u[:i], "android") {
		return ""
	}
	j := strings.LastIndex(u[:i], "; ")
	if j < 0 {
		return ""
	}
	return u[j+2 : i]
}

// LodgingUserAgent reports whether ua is a hospitality TV platform's (an
// in-room TV: a stay, never a home).
func LodgingUserAgent(ua string) bool { return guessKind(ua) == kindLodgingTV }

// guessKind maps a user agent to a device kind.
func guessKind(ua string) uint8 {
	u := strings.ToLower(ua)
	for _, m := range lodgingMarkers {
		if strings.Contains(u, m) {
			return kindLodgingTV
		}
	}
	for _, m := range fixedMarkers {
		if strings.Contains(u, m) {
			return kindTV
		}
	}
	if model := androidModel(u); strings.HasPrefix(model, "aft") || strings.Contains(model, "tv") {
		// Fire TV models are AFT…; Android TV makers often put "TV" in
		// the model name (MiTV, Philips TV, Smart TV Pro).
		return kindTV
	}
	switch {
	case strings.Contains(u, "ipad") || strings.Contains(u, "tablet") || strings.HasPrefix(androidModel(u), "kf") || strings.Contains(u, "silk/"):
		return kindTablet
	case strings.Contains(u, "iphone") || strings.Contains(u, "ipod") || strings.Contains(u, "android") || strings.Contains(u, "mobile"):
		// An Android device that is no TV is a phone or tablet, in a
		// browser or in an app (whose user agent has no "Mobile").
		return kindPhone
	case strings.Contains(u, "windows nt") || strings.Contains(u, "macintosh") || strings.Contains(u, "x11") || strings.Contains(u, "cros "):
		return kindComputer
	case u != "":
		return kindOther
	}
	return kindUnknown
}
