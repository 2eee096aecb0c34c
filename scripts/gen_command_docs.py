"""Regenerate keydb_ft/commands/redis_docs.py from redis-server 7.0's COMMAND DOCS.

COMMAND DOCS must answer what redis-server 7.0 answers for every command both servers
have (summaries, history, argument trees), so those documents are recorded from the real
server's reply rather than retyped. Run it after adding a command that Redis 7.0 has:

    PYTHON_GIL=0 python scripts/gen_command_docs.py            # starts redis-server itself

It asks for each command and subcommand of keydb-ft's table (a container without its
"subcommands" field: keydb-ft lists the subcommands it implements), keeps the RESP3 types
(map -> dict, set -> SetReply, simple string -> str, bulk -> bytes), records CONTAINER
HELP without the entries of subcommands keydb-ft lacks, and writes the module.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
OUT = os.path.join(ROOT, "keydb_ft", "commands", "redis_docs.py")


class Resp3:
    """A reader of RESP3 replies that keeps each value's type."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        from keydb_ft.resp.writer import SetReply
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            return self._exact(int(rest))
        if kind == b"+":
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        if kind == b"~":
            return SetReply(self.read() for _ in range(int(rest)))
        if kind == b"%":
            return {self.read(): self.read() for _ in range(int(rest))}
        raise RuntimeError(f"unexpected reply type {line!r}")

    def call(self, *args):
        self.sock.sendall(b"*%d\r\n" % len(args)
                          + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        return self.read()


def _literal(value, indent):
    """Python source for a reply tree (pprint cannot show SetReply as a call)."""
    from keydb_ft.resp.writer import SetReply
    pad = " " * indent
    if isinstance(value, SetReply):
        return "SetReply([" + ", ".join(_literal(v, indent + 4) for v in value) + "])"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}    {k!r}: {_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{pad}    {_literal(v, indent + 4)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    return repr(value)


def names_to_record():
    from keydb_ft import commands  # noqa: F401  (registers every command)
    from keydb_ft.commands.registry import COMMANDS
    names = []
    for cmd in COMMANDS.values():
        names.append(cmd.fullname)
        names += [sub.fullname for sub in cmd.subcommands.values()]
    return sorted(names)


def containers():
    """container name -> the full names of keydb-ft's subcommands. DEBUG's live in its
    own table (commands/server.py), not in the command table, as in Redis."""
    from keydb_ft import commands  # noqa: F401
    from keydb_ft.commands.registry import COMMANDS
    from keydb_ft.commands.server import DEBUG_SUBCOMMANDS
    found = {cmd.fullname: {sub.fullname for sub in cmd.subcommands.values()}
             for cmd in COMMANDS.values() if cmd.subcommands}
    found["debug"] = {f"debug|{name.decode()}" for name in DEBUG_SUBCOMMANDS}
    return found


def help_for(lines, container, subs):
    """Redis's HELP reply without the entries of subcommands keydb-ft does not have (an
    entry: its unindented line and the indented lines under it)."""
    head, body, tail = lines[0], lines[1:-2], lines[-2:]
    entries = []
    for line in body:
        if line.startswith(" ") and entries:
            entries[-1].append(line)
        else:
            entries.append([line])
    kept = [e for e in entries if e[0].startswith("(")
            or f"{container}|{e[0].split()[0].lower()}" in subs]
    return (head, *(line for entry in kept for line in entry), *tail)


def main():
    redis_server = shutil.which("redis-server")
    workdir = tempfile.mkdtemp(prefix="gen-docs-")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--dir", workdir, "--enable-debug-command", "yes"],
                            stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        conn = Resp3(sock)
        version = conn.call(b"HELLO", b"3")[b"version"].decode()
        docs = {}
        for name in names_to_record():
            reply = conn.call(b"COMMAND", b"DOCS", name.encode())
            if not reply:
                continue                    # a command redis-server 7.0 does not have
            (doc,) = reply.values()
            doc.pop(b"subcommands", None)
            docs[name] = doc
        helps = {}
        for container, subs in containers().items():
            if f"{container}|help" in subs:
                try:
                    reply = conn.call(container.encode(), b"HELP")
                except RuntimeError:        # CLUSTER HELP without cluster support: no text
                    continue
                helps[container] = help_for(reply, container, subs)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    body = "\n".join(f"    {name!r}: {_literal(doc, 4)}," for name, doc in docs.items())
    help_body = "\n".join(f"    {name!r}: (\n" + "".join(f"        {line!r},\n" for line in lines)
                          + "    )," for name, lines in sorted(helps.items()))
    with open(OUT, "w") as fh:
        fh.write(f'"""COMMAND DOCS of redis-server {version} for the commands keydb-ft shares '
                 'with it.\n\nGenerated by scripts/gen_command_docs.py from the real '
                 "server's reply; do not edit.\nregistry.Command.docs_reply() serves these; "
                 'commands Redis 7.0 lacks use\ntheir declarations.\n"""\n\n'
                 "from ..resp.writer import SetReply\n\n"
                 f"DOCS = {{\n{body}\n}}\n\n"
                 "# CONTAINER HELP (status lines), without the entries of subcommands "
                 "keydb-ft lacks\n"
                 f"HELP = {{\n{help_body}\n}}\n")
    print(f"{len(docs)} command documents and {len(helps)} HELP replies from redis-server "
          f"{version} -> {OUT}")


if __name__ == "__main__":
    main()
