// Package simulate generates a synthetic, labelled population of login
// events for developing and evaluating the detector, together with the
// GeoIP databases its addresses resolve in.
//
// A population is a set of accounts, each following one scenario. Six are
// honest (solo, household, traveller, two_homes, mobile_heavy, vpn_user)
// and three share the account outside the household (friend_sharer,
// same_city_sharer, reseller). The honest ones are built to look like
// sharing to a naive detector: travellers stream from hotels abroad while
// their family streams at home, two_homes users have two persistent home
// networks, mobile and VPN users jump across the map within minutes.
//
// The world is made of real cities, countries and provider names and
// ASNs, with synthetic but public-looking address pools whose
// geolocation behaves like GeoLite2's: residential networks near their
// city with an accuracy radius (sometimes in the wrong city, or only the
// country), mobile networks coarse and far from the user, hosting exits
// precise but in a data centre. [WriteGeoIP] writes the City and ASN
// databases, and [HostingASNs] lists the hosting ASNs a detector should
// treat as VPN exits.
//
// With Config.RealGeoIP the world is built from real GeoLite2 City and
// ASN databases instead (realworld.go has the rules): the same behaviours
// and labels, but real addresses, ASNs, locations and accuracy radii,
// IPv4 and IPv6, picked from real residential, mobile, business and
// hosting networks near the world's cities. Such a population is scored
// with the same real databases; [WriteGeoIP] refuses it. Real GeoLite2 is
// for local evaluation only (scripts/geolite2.sh fetches it) and is never
// committed.
//
// [NewStream] yields events in global time order without materialising
// them: each account is generated lazily a day at a time and the accounts
// are merged with a heap. [Generate] writes the stream as contract JSON
// lines plus one [Label] line per account. The same [Config] always gives
// byte-identical output. The package exports no metrics.
package simulate
