"""The tests of Redis's suite that need what keydb-ft does not have (yet, or by design:
its snapshots run in a thread, not a forked child), as a --skipfile.

    python scripts/redis_suite_skips.py TESTS_DIR UNIT... > skips.txt

A unit stops at the first command the server refuses (the test client raises), so one
EVAL in unit/multi used to hide every test after it. Each `test {name} {body}` of the
given units whose body uses one of MISSING is listed by name; a name built from Tcl
variables ($type, [...]) becomes a regular expression (the suite's '/' form) that any
text matches there. Only the tests are skipped: whatever a unit does outside them still
runs, and a unit that needs a missing feature there still stops, and says where.
"""

import os
import re
import sys

# what keydb-ft lacks, as the suite's test bodies spell it
MISSING = re.compile(
    # scripting, sent by a client (r, $rd, $rr, r2 ...; not Tcl's own eval)
    r"(?:^|[\s\[{])(?:r\d?|\$\w+)\s+(?:-?\d+\s+)?"
    r"(?:eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro|script|function)\b"
    r"|\bgetkeys\s+eval"
    r"|\bacl\s+(?:setuser|deluser|log|getuser|dryrun)\b"               # ACL users
    r"|\bclient\s+(?:tracking|caching|getredir|trackinginfo)\b"        # CLIENT TRACKING
    r"|\bdebug\s+htstats"                    # the internals of Redis's own hash tables
    r"|\bget_child_pid\b",                   # a fork child: keydb-ft snapshots in a thread
    re.IGNORECASE | re.MULTILINE)


def _block(text, start, open_char):
    """The index just past the block that opens at text[start] (braces or quotes)."""
    if open_char == '"':
        i = start + 1
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        return i + 1
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def tests(text):
    """(name, body) of each test in a unit's source."""
    for match in re.finditer(r"(?m)^\s*test\s+([{\"])", text):
        name_start = match.end() - 1
        name_end = _block(text, name_start, match.group(1))
        name = text[name_start + 1:name_end - 1]
        rest = text[name_end:].lstrip()
        if not rest.startswith("{"):
            continue
        body_start = len(text) - len(rest)
        body_end = _block(text, body_start, "{")
        yield name, text[body_start:body_end]


def skip_line(name):
    """The --skipfile line that matches this test's name as the suite will print it."""
    if "$" not in name and "[" not in name:
        return name
    parts = re.split(r"\$\{?\w+\}?|\[[^\]]*\]", name)
    return "/^" + ".*".join(re.escape(part) for part in parts) + "$"


def main():
    tests_dir, units = sys.argv[1], sys.argv[2:]
    lines = []
    for unit in units:
        path = os.path.join(tests_dir, unit + ".tcl")
        if not os.path.exists(path):         # runtest says so itself
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for name, body in tests(text):
            if MISSING.search(body):
                lines.append(skip_line(name))
    sys.stdout.write("".join(line + "\n" for line in dict.fromkeys(lines)))


if __name__ == "__main__":
    main()
