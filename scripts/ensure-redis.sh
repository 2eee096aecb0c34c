#!/usr/bin/env bash
# Debian's redis-server and redis-tools (7.0): the yardstick for differential tests and
# the real clients (redis-cli, redis-benchmark). The packaged service is not started.
set -euo pipefail
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
   && command -v redis-benchmark >/dev/null; then
  exit 0
fi
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq redis-server redis-tools >&2
# Debian's package may start a service; tests run their own servers on free ports.
$sudo_cmd service redis-server stop >/dev/null 2>&1 || true
