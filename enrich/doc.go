// Package enrich turns an IP address into what scoring needs to know about
// where a person is: a location with its uncertainty, the network it belongs
// to, and whether that location can be trusted as a person's whereabouts.
//
// An Enricher reads a GeoIP2 or GeoLite2 City database and, optionally, an
// ASN database (MaxMind's, or DB-IP's in the same format). Answers are cached
// per address. Run polls the files and swaps in new versions without
// stopping lookups; a file that fails to load leaves the previous version in
// use. Neither database marks hosting or VPN networks, so a configurable ASN
// list (Config.HostingASNs, Config.ExtraHostingASNs) does, and so does a
// regular expression on the ASN's organisation name
// (Config.HostingOrgPattern), for the long tail of small hosts that VPN
// services rent exits from.
//
// # Metrics
//
// An Enricher registers these with Options.Registerer:
//
//   - sharewatch_geoip_lookups_total{result="public|unknown|private|invalid"}:
//     lookups by the Kind of their answer.
//   - sharewatch_geoip_cache_hits_total and sharewatch_geoip_cache_misses_total:
//     database lookups of routable addresses answered from the cache, or not.
//     Private and invalid addresses never reach the cache.
//   - sharewatch_geoip_lookup_errors_total: records that could not be
//     decoded; the address is reported as unknown.
//   - sharewatch_geoip_reloads_total{result="success|failure"}: reload
//     attempts that found a changed file (or were forced by Reload).
//   - sharewatch_geoip_database_build_timestamp_seconds{db="city|asn"}: build
//     time of the database in use; 0 for asn when there is none. Alert when it
//     grows old: a reload that keeps failing shows up here.
package enrich
