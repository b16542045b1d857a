#!/usr/bin/env bash
# Installs, from Debian, every program the tests start for real:
#   clickhouse-server/-client  verdict store tests (internal/testch)
#   request-tracker5 + sqlite  helpdesk tests (internal/testrt)
#   prometheus (promtool)      alert-rule checks and the scrape test
#   docker-compose             validates docker-compose.yml (no engine needed)
#   kcat                       an independent Kafka client for end-to-end checks
# Idempotent: packages already installed are skipped, and apt-get runs only
# when something is missing. The tests start and stop their own private
# servers on loopback; nothing is started here.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

want=(clickhouse-server clickhouse-client request-tracker5 rt5-db-sqlite rt5-standalone rt5-clients prometheus docker-compose kcat)
missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "test dependencies: all installed"
	exit 0
fi
echo "test dependencies: installing ${missing[*]}"
# Request Tracker asks for a database type; SQLite needs no server.
echo 'request-tracker5 request-tracker5/database-type select sqlite3' | $SUDO debconf-set-selections
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
command -v clickhouse-server >/dev/null || test -x /usr/sbin/clickhouse-server
dpkg -L request-tracker5 | grep -q 'libexec/rt-server$'
command -v promtool >/dev/null
