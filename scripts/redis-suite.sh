#!/usr/bin/env bash
# Redis's own test suite (from Debian's redis source package, the release redis-server
# here is) run against keydb-ft as an external server: a second yardstick beside the
# differential tests, written by Redis's authors.
#
#   scripts/redis-suite.sh [--threads N] [--own-servers] [unit/keyspace unit/type/list ...]
#
# One keydb-ft (enable-debug-command yes, N loops, default 1) on a free port serves every
# unit; each unit runs with `--host --port --single`, without the tests that need
# maxmemory eviction (KEYDB_FT_SUITE_TAGS sets the tag filter), at most 600 s, and prints "unit ok=N err=N" with its
# first exception. Tests that use a feature keydb-ft lacks are skipped by name
# (scripts/redis_suite_skips.py lists them in $CACHE/logs/skipped-tests.txt). Logs in $CACHE/logs. With two or more loops, tests that order commands
# across connections (a deferred client's command, then another client's) can race:
# Redis's suite assumes one thread. The harness's cleanup between tests calls FUNCTION
# FLUSH, which keydb-ft lacks; the cached copy ignores that error.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${KEYDB_FT_CACHE:-$HOME/.cache/keydb-ft}/redis-suite"
threads=1
own=0
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --own-servers) own=1; shift ;;
    *) break ;;
  esac
done
units=("$@")
if [ ${#units[@]} -eq 0 ]; then
  # unit/type/list last: it sets proto-max-bulk-len to 10gb on the one shared server,
  # which the string unit's size checks then miss
  units=(unit/keyspace unit/scan unit/expire unit/multi unit/protocol unit/quit
         unit/info-command unit/dump unit/slowlog unit/latency-monitor unit/pubsub
         unit/type/string unit/type/incr unit/type/hash unit/type/set unit/type/zset
         unit/type/list-2 unit/type/list-3 unit/type/stream unit/type/stream-cgroups
         unit/bitops unit/bitfield unit/hyperloglog unit/geo unit/other unit/introspection-2
         unit/introspection unit/lazyfree unit/sort unit/type/list)
fi

PY="$(bash "$ROOT/scripts/ensure-venv.sh")"
bash "$ROOT/scripts/ensure-redis.sh"
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
command -v tclsh >/dev/null || DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq tcl >&2

version="$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')"
src="$CACHE/redis-$version"
if [ ! -x "$src/runtest" ]; then
  # deb-src entries for the machine's own suites, with its URIs and keyring, in a private
  # apt state so the system's lists stay as they are
  mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/parts"
  sed -n 's/^Types: deb$/Types: deb-src/p; /^URIs:\|^Suites:\|^Components:\|^Signed-By:/p; /^$/p' \
    /etc/apt/sources.list.d/debian.sources > "$CACHE/apt/parts/src.sources"
  opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$CACHE/apt/parts"
        -o "Dir::State::Lists=$CACHE/apt/lists")
  apt-get "${opts[@]}" update -qq >&2
  (cd "$CACHE" && apt-get "${opts[@]}" source --download-only -qq redis >&2)
  tar -xzf "$CACHE"/redis_"$version".orig.tar.gz -C "$CACHE"
  sed -i 's/^    r function flush$/    catch {r function flush}/' "$src/tests/support/server.tcl"
  for tool in redis-server redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
    ln -sf "$(command -v $tool)" "$src/src/$tool"
  done
fi

# CONFIG sanity sets every option to its own value: keydb-ft's own options that cannot
# change at run time (as KeyDB's suite lists them) join the ones Redis's test passes over
sanity="$src/tests/unit/introspection.tcl"
grep -q "server-threads" "$sanity" || sed -i 's/^        set skip_configs {$/&\
            server-threads server-thread-affinity active-replica multi-master\
            storage-provider shared-objects-immortal/' "$sanity"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$CACHE/logs" "$CACHE/data"
cd "$ROOT"
if [ $own = 1 ]; then
  # --own-servers: the harness starts a server per test group itself, from its own config
  # files, as src/redis-server; that name runs keydb-ft for the length of this run (the
  # units tagged external:skip need it)
  wrapper="$CACHE/keydb-ft-as-redis-server"
  # server-threads comes as config on stdin (a last '-', read between the file and the
  # options, as redis-server reads it) so the harness's own arguments stay as it wrote
  # them: its command-line tests check how a bare --option is read
  # (a here-document, not a pipe: exec keeps the PID the harness started, which it then
  # looks for in the log)
  printf '#!/bin/sh\nPYTHON_GIL=0 PYTHONPATH="%s" exec "%s" -m keydb_ft "$@" - <<EOF\nserver-threads %s\nEOF\n' \
    "$ROOT" "$PY" "$threads" > "$wrapper"
  chmod +x "$wrapper"
  ln -sf "$wrapper" "$src/src/redis-server"
  trap 'ln -sf "$(command -v redis-server)" "$src/src/redis-server"' EXIT
  target=()
else
  PYTHON_GIL=0 "$PY" -m keydb_ft --port "$port" --bind 127.0.0.1 --server-threads "$threads" \
    --save "" --dir "$CACHE/data" --enable-debug-command yes \
    --logfile "$CACHE/logs/keydb-ft.log" &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  target=(--host 127.0.0.1 --port "$port")
fi

# tests that use what keydb-ft lacks (scripting, ACL users, CLIENT TRACKING, DEBUG
# HTSTATS) are skipped by name, so the rest of their unit still runs
skips="$CACHE/logs/skipped-tests.txt"
"$PY" "$ROOT/scripts/redis_suite_skips.py" "$src/tests" "${units[@]}" > "$skips"
cd "$src"
for unit in "${units[@]}"; do
  log="$CACHE/logs/$(echo "$unit" | tr / _).log"
  timeout 600 ./runtest "${target[@]}" --single "$unit" --clients 1 \
    --tags "${KEYDB_FT_SUITE_TAGS:--needs:config-maxmemory}" --skipfile "$skips" \
    > "$log" 2>&1 || true
  ok=$(grep -ac '\[.\[0;32;49mok' "$log" || true)
  err=$(grep -ac '^\[.\[0;31;49merr' "$log" || true)   # not the "***" summary again
  exc=$(grep -a -A1 -m1 'exception' "$log" | tail -1 | cut -c1-110 || true)
  echo "$unit ok=$ok err=$err${exc:+ stopped: $exc}"
done
