#!/usr/bin/env bash
# Installs Debian's ClickHouse server and client if clickhouse-server is not on
# PATH. Idempotent: a second run does nothing. The test harness
# (internal/testch) starts its own private server; nothing is started here.
set -euo pipefail

if command -v clickhouse-server >/dev/null 2>&1; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y clickhouse-server clickhouse-client
command -v clickhouse-server >/dev/null 2>&1
