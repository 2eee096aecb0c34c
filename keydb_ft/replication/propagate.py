"""What every propagation sink (the AOF, each replica's stream) shares: effects come in
encoded as RESP commands (encode_command), one at a time or, between begin() and end()
on a thread (EXEC, a command with several effects), as a group that the sink writes
whole, wrapped in MULTI / EXEC when it holds more than one effect."""

from types import SimpleNamespace

from ..threadstate import PerThread

MULTI = b"*1\r\n$5\r\nMULTI\r\n"
EXEC = b"*1\r\n$4\r\nEXEC\r\n"


def encode_command(argv):
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        parts.append(b"$%d\r\n" % len(arg))
        parts.append(arg)
        parts.append(b"\r\n")
    return b"".join(parts)


def select_command(dbid):
    text = b"%d" % dbid
    return b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(text), text)


class EffectFeed:
    """The sink protocol (Keyspace.propagate / propagate_begin / propagate_end, called
    with the effects' stripes held). A subclass says whether it takes effects (live())
    and writes a group of (db id, encoded command) items (_emit, with the thread's
    state `tls`, whose `fed` it may set)."""

    def __init__(self):
        self.tls = PerThread(lambda: SimpleNamespace(fed=0, tx=None, depth=0))

    def live(self):
        raise NotImplementedError

    def _emit(self, items, tls):
        raise NotImplementedError

    def feed(self, dbid, argv):
        if not self.live():
            return
        tls = self.tls.get()
        tx = tls.tx
        if tx is not None:
            tx.append((dbid, encode_command(argv)))
            return
        self._emit([(dbid, encode_command(argv))], tls)

    def begin(self, client):
        tls = self.tls.get()
        depth = tls.depth
        tls.depth = depth + 1
        if depth == 0:
            tls.tx = []

    def end(self, client):
        tls = self.tls.get()
        tls.depth -= 1
        if tls.depth:
            return
        items, tls.tx = tls.tx, None
        if items and self.live():
            self._emit(items, tls)
