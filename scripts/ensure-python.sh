#!/usr/bin/env bash
# Print the path of a free-threaded CPython 3.13 interpreter, building one if needed.
#
# Order of preference:
#   1. $KEYDB_FT_PYTHON, if set and free-threaded;
#   2. python3.13t on PATH;
#   3. the cached build under $KEYDB_FT_CACHE (default ~/.cache/keydb-ft);
#   4. a fresh build from Debian's python3.13 source package (trixie), with
#      --disable-gil, installed into the cache.
#
# The build is profile-guided and link-time optimized (--enable-optimizations --with-lto),
# as distributions build their interpreters, with the server itself under redis-benchmark
# added to CPython's profiling task (scripts/pgo_train.py; redis-benchmark comes from
# ensure-redis.sh): about 24 minutes on 2 cores instead of 4, and the server spends
# 13-14% less CPU per command on it (perf/README.md, "An optimized interpreter" and
# "A profile trained on the server").
# The cached build records its recipe; a build made by another recipe is made again.
# KEYDB_FT_PGO=0 builds without them, into a cache directory of its own.
# Progress goes to stderr; only the interpreter path goes to stdout.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KEYDB_FT_CACHE:-$HOME/.cache/keydb-ft}"
if [ "${KEYDB_FT_PGO:-1}" = 0 ]; then
  prefix="$cache/python3.13t"
  optimize=""
  recipe=""
else
  prefix="$cache/python3.13t-pgo"
  optimize="--enable-optimizations --with-lto"
  # name a change to the build or its profiling task here to have caches made again
  recipe="pgo+lto, CPython's task and the server's (scripts/pgo_train.py), 1"
fi
recipe_file="$prefix/.keydb-ft-recipe"

is_free_threaded() {
  [ -x "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) and not sys._is_gil_enabled() else 1)' \
    >/dev/null 2>&1
}

log() { echo "ensure-python: $*" >&2; }

cached="$prefix/bin/python3.13t"
if [ -n "$recipe" ] && [ "$(cat "$recipe_file" 2>/dev/null)" != "$recipe" ]; then
  cached=""                       # made by another recipe (or unfinished): build again
fi
for candidate in "${KEYDB_FT_PYTHON:-}" "$(command -v python3.13t 2>/dev/null || true)" "$cached"; do
  if [ -n "$candidate" ] && PYTHON_GIL=0 is_free_threaded "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

log "no free-threaded python3.13 found; building one into $prefix"
mkdir -p "$cache"
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"

src_list=/etc/apt/sources.list.d/keydb-ft-trixie-src.sources
if [ ! -f "$src_list" ]; then
  # Same URIs and keyring as the machine's own Debian entry, source only, trixie.
  uris=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  keyring=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  uris="${uris:-http://deb.debian.org/debian}"
  keyring="${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
    "$uris" "$keyring" | $sudo_cmd tee "$src_list" >/dev/null
fi
log "apt-get update"
$sudo_cmd apt-get update -qq >"$cache/apt.log" 2>&1 || { tail -n 30 "$cache/apt.log" >&2; exit 1; }
log "installing build dependencies"
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq build-essential dpkg-dev pkg-config \
  libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev \
  libncurses-dev libgdbm-dev uuid-dev libexpat1-dev >"$cache/apt.log" 2>&1 || { tail -n 30 "$cache/apt.log" >&2; exit 1; }

if [ -n "$optimize" ]; then
  bash "$here/scripts/ensure-redis.sh"     # redis-benchmark drives the profiling task
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching Debian's python3.13 source package"
apt-get source --download-only python3.13 >&2
orig=$(ls python3.13_*.orig.tar.* | head -n 1)
tar xf "$orig"
srcdir=$(find . -maxdepth 1 -type d -name 'Python-3.13*' | head -n 1)
cd "$srcdir"
log "configure --disable-gil $optimize"
# shellcheck disable=SC2086 # $optimize is two options or none
./configure --disable-gil $optimize --prefix="$prefix" --with-ensurepip=install \
  PROFILE_TASK="$here/scripts/pgo_train.py" >"$work/configure.log" 2>&1 \
  || { tail -n 40 "$work/configure.log" >&2; exit 1; }
log "make -j$(nproc) (with optimizations this also runs the profiling task)"
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
grep '^pgo-train:' "$work/make.log" | sed 's/^/ensure-python: /' >&2 || true
rm -rf "$prefix"
make install >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
[ -z "$recipe" ] || echo "$recipe" > "$recipe_file"
if ! PYTHON_GIL=0 is_free_threaded "$prefix/bin/python3.13t"; then
  log "built interpreter at $prefix/bin/python3.13t is not free-threaded"
  exit 1
fi
echo "$prefix/bin/python3.13t"
