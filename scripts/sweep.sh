#!/usr/bin/env bash
# Which parameter is the detector sensitive to? Simulates one population
# per knob of the "alt" profile, each with only that knob changed from
# the defaults (then the whole alt profile), scores it with the built-in
# model and prints one row of the eval figures per population.
# Usage: scripts/sweep.sh [SEED] (default 41; 3,000 accounts x 30 days,
# about 40 s per population on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
seed=${1:-41}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/sharewatch" ./cmd/sharewatch
knobs=(
	"defaults:"
	"heartbeat 15m:--heartbeat 15m"
	"accuracy x2:--accuracy-scale 2"
	"sessions x0.8:--session-rate 0.8"
	"devices x1.5:--devices-scale 1.5"
	"mobile x1.5:--mobile-share 1.5"
	"trips x2:--trip-rate 2"
	"friends 2/week:--sharer-activity 2"
	"departure 0.6:--departure-p 0.6"
	"jitter 30 km:--residential-jitter-km 30"
	"alt (all):--profile alt"
)
printf '%-18s %9s %9s %9s %9s %9s %8s %9s\n' "seed $seed" "hon shr" "trav shr" "hon>=sus" "shr shr" "shr>=sus" "TTD" "trav>=sus"
printf '%-18s %9s %9s %9s %9s %9s %8s %9s\n' "target" "<=0.5%" "<=1%" "<=3%" ">=90%" ">=97%" "<=72h" ""
for k in "${knobs[@]}"; do
	name=${k%%:*} flags=${k#*:}
	# shellcheck disable=SC2086 # flags is a list of words
	"$dir/sharewatch" simulate --accounts 3000 --days 30 --seed "$seed" $flags \
		--events "$dir/ev.jsonl" --labels "$dir/labels.jsonl" --geoip-city "$dir/city.mmdb" --geoip-asn "$dir/asn.mmdb" 2>/dev/null
	"$dir/sharewatch" score --geoip-city "$dir/city.mmdb" --geoip-asn "$dir/asn.mmdb" --accounts "$dir/accounts.jsonl" \
		< "$dir/ev.jsonl" > /dev/null
	"$dir/sharewatch" eval --labels "$dir/labels.jsonl" --accounts "$dir/accounts.jsonl" > "$dir/eval.txt"
	# The six target rows, then the travellers' ">= suspected" column.
	mapfile -t v < <(grep -E '^ +(honest|travellers|sharing|median)' "$dir/eval.txt" | awk '{print $(NF-1)}')
	trav=$(awk '$1 == "traveller" {print $4}' "$dir/eval.txt")
	printf '%-18s %9s %9s %9s %9s %9s %8s %9s\n' "$name" "${v[@]:0:6}" "$trav"
done
