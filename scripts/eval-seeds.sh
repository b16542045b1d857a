#!/usr/bin/env bash
# Evaluates the built-in model on populations it was not fitted on: fresh
# seeds with the default parameters and with the "alt" profile (changed
# parameters), 3,000 accounts over 30 days each, end to end through the
# CLI (simulate | score | eval). Usage: scripts/eval-seeds.sh [SEED...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(31 32 33)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/sharewatch" ./cmd/sharewatch
run() {
	local seed=$1 profile=$2
	"$dir/sharewatch" simulate --accounts 3000 --days 30 --seed "$seed" --profile "$profile" \
		--events "$dir/ev.jsonl" --labels "$dir/labels.jsonl" --geoip-city "$dir/city.mmdb" --geoip-asn "$dir/asn.mmdb" 2>/dev/null
	"$dir/sharewatch" score --geoip-city "$dir/city.mmdb" --geoip-asn "$dir/asn.mmdb" --accounts "$dir/accounts.jsonl" \
		< "$dir/ev.jsonl" > /dev/null
	echo "== seed $seed, profile $profile"
	"$dir/sharewatch" eval --labels "$dir/labels.jsonl" --accounts "$dir/accounts.jsonl"
	echo
}
for s in "${seeds[@]}"; do run "$s" default; done
run "${seeds[0]}" alt
