#!/usr/bin/env bash
# Create (once) the project's virtual environment on a free-threaded CPython 3.13 and
# install the package with its test extras. Prints the venv's python on stdout.
#   KEYDB_FT_VENV   where the venv lives (default: $KEYDB_FT_CACHE/venv, outside the repo)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KEYDB_FT_CACHE:-$HOME/.cache/keydb-ft}"
venv="${KEYDB_FT_VENV:-$cache/venv}"
python="$(bash "$here/scripts/ensure-python.sh")"
stamp="$venv/.keydb-ft-installed"
# the package's requirements and the interpreter under them, by path, size and time: a
# new one (an optimized build, say) makes the venv again, C extensions included
want="$( (cat "$here/pyproject.toml"; echo "$python"; stat -Lc '%s %Y' "$python") \
  | sha256sum | cut -c1-16)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "ensure-venv: installing into $venv" >&2
  "$python" -m venv --clear "$venv" >&2
  # hiredis has no free-threaded wheel: it builds from source (needs a C compiler).
  PYTHON_GIL=0 "$venv/bin/python" -m pip install -q --upgrade pip >&2
  PYTHON_GIL=0 "$venv/bin/python" -m pip install -q -e "$here[test]" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
