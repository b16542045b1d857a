#!/usr/bin/env bash
# Installs Debian's Request Tracker 5 (SQLite backend, standalone server and
# command-line clients) if it is not installed yet. Idempotent: a second run
# does nothing. The test harness (internal/testrt) starts its own private
# instance in a temporary directory; nothing is configured or started here,
# and the package's own database is not used.
set -euo pipefail

if dpkg-query -W -f='${Status}' request-tracker5 2>/dev/null | grep -q 'install ok installed' &&
	dpkg-query -W -f='${Status}' rt5-db-sqlite 2>/dev/null | grep -q 'install ok installed' &&
	dpkg-query -W -f='${Status}' rt5-standalone 2>/dev/null | grep -q 'install ok installed'; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

# The package asks for a database type; SQLite needs no server.
echo 'request-tracker5 request-tracker5/database-type select sqlite3' | $SUDO debconf-set-selections
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
	request-tracker5 rt5-db-sqlite rt5-standalone rt5-clients
dpkg -L request-tracker5 | grep -q 'libexec/rt-server$'
