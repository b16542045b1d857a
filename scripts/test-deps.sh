#!/usr/bin/env bash
# Installs, from Debian, every program the tests start for real:
#   clickhouse-server/-client  verdict store tests (internal/testch)
#   request-tracker5 + sqlite  helpdesk tests (internal/testrt)
#   prometheus (promtool)      alert-rule checks and the scrape test
#   docker-compose             validates docker-compose.yml (no engine needed)
#   kcat                       an independent Kafka client for end-to-end checks
# and, from npm, a current ClickHouse release as a library:
#   chdb (libchdb.so)          the schema on current ClickHouse (internal/testchdb)
# Idempotent: packages already installed are skipped, and apt-get and npm run
# only when something is missing. The tests start and stop their own private
# servers on loopback; nothing is started here.
set -euo pipefail

# chdb 3.4.0 pins @chdb/lib-linux-x64-gnu 26.7.3 (ClickHouse 26.7.2.1);
# ~180 MB to download, ~550 MB installed.
CHDB_VERSION=3.4.0
CHDB_DIR="${SHAREWATCH_CHDB_DIR:-/opt/sharewatch-chdb}"

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
# Node.js may come from elsewhere than Debian; install Debian's only if absent.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
	echo "test dependencies: Debian packages all installed"
else
	echo "test dependencies: installing ${missing[*]}"
	# Request Tracker asks for a database type; SQLite needs no server.
	echo 'request-tracker5 request-tracker5/database-type select sqlite3' | $SUDO debconf-set-selections
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v clickhouse-server >/dev/null || test -x /usr/sbin/clickhouse-server
# grep without -q reads all of dpkg's output: with -q it could exit at the
# first match, and dpkg's SIGPIPE would fail the pipeline (pipefail).
dpkg -L request-tracker5 | grep 'libexec/rt-server$' >/dev/null
command -v promtool >/dev/null

chdb_installed() {
	[ "$(node -p "require('$CHDB_DIR/node_modules/chdb/package.json').version" 2>/dev/null)" = "$CHDB_VERSION" ] &&
		compgen -G "$CHDB_DIR/node_modules/@chdb/lib-*/libchdb.so" >/dev/null
}
if chdb_installed; then
	echo "test dependencies: chdb $CHDB_VERSION installed in $CHDB_DIR"
else
	echo "test dependencies: installing chdb $CHDB_VERSION into $CHDB_DIR"
	# Install beside, then swap, so an interrupted install leaves no half.
	tmp="$CHDB_DIR.tmp.$$"
	$SUDO rm -rf "$tmp"
	$SUDO mkdir -p "$tmp"
	$SUDO npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error "chdb@$CHDB_VERSION"
	$SUDO rm -rf "$CHDB_DIR"
	$SUDO mv "$tmp" "$CHDB_DIR"
	chdb_installed
fi
