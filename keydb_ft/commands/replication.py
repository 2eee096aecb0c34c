"""SYNC / PSYNC / REPLCONF: the master side of replication (keydb_ft/replication/master.py)."""

import time

from .. import errors
from ..errors import CommandError
from ..log import log
from ..replication.master import Master
from ..resp.writer import OK
from . import INSTALLERS
from .args import to_int
from .dispatch import NO_REPLY
from .registry import command

_DOC = dict(group="server")
_SYNC_FLAGS = "admin noscript no_async_loading no_multi no_lock"


@command("sync", 1, _SYNC_FLAGS, **_DOC)
def cmd_sync(c, argv):
    return _sync(c, psync=False)


@command("psync", -3, _SYNC_FLAGS, **_DOC)
def cmd_psync(c, argv):
    return _sync(c, psync=True, replid=argv[1], offset=argv[2])


def _sync(c, psync, replid=b"?", offset=b"-1"):
    """A partial resynchronization when PSYNC names a stream this master still holds
    the missing part of, else a full one; a client that is already a replica is
    ignored, as Redis ignores it."""
    if c.replica is not None:
        return NO_REPLY
    # A replica serves its own replicas only while its link is up, as Redis: until then
    # its data set may be about to be replaced (a full resync flushes it and loads the
    # master's), and a sync served from it would leave the sub-replica with the old one.
    link = c.server.link
    if link is not None and link.state != "connected":
        raise CommandError(errors.NOMASTERLINK)
    master = c.server.master
    if replid != b"?":
        try:
            start = int(offset)
        except ValueError:
            start = None
        if start is not None and master.partial_sync(c, replid, start):
            return NO_REPLY
    master.full_sync(c, psync)
    return NO_REPLY


@command("replconf", -1, "admin noscript loading stale allow_busy", **_DOC)
def cmd_replconf(c, argv):
    """What a replica tells its master: listening-port (INFO's slaveN port), ip-address,
    capabilities (none needed: the RDB always comes with its length), and ACK <offset>,
    which gets no reply."""
    if len(argv) % 2 == 0:
        raise CommandError(errors.SYNTAX)
    for i in range(1, len(argv), 2):
        option = argv[i].lower()
        if option == b"listening-port":
            c.replica_port = to_int(argv[i + 1])     # kept in the client's __dict__
        elif option == b"ip-address":               # replica-announce-ip: INFO's slaveN ip
            c.replica_ip = argv[i + 1].decode("utf-8", "replace")
        elif option == b"ack":
            stream = c.replica
            if stream is not None:
                stream.acked = to_int(argv[i + 1])
                stream.ack_time = time.time()
                c.server.master.acked(stream)
            return NO_REPLY
        elif option == b"getack":       # from our master: our offset, at once
            if "M" in c.flags_extra:
                c.send_ack()
            return NO_REPLY
        elif option not in (b"capa", b"rdb-only", b"rdb-filter-only"):
            raise CommandError(errors.UNKNOWN_REPLCONF.format(argv[i].decode("utf-8", "replace")))
    return OK


@command("replicaof", 3, "admin noscript stale no_async_loading", **_DOC)
def cmd_replicaof(c, argv):
    return _replicaof(c, argv)


@command("slaveof", 3, "admin noscript stale no_async_loading", **_DOC)
def cmd_slaveof(c, argv):
    return _replicaof(c, argv)


def _replicaof(c, argv):
    """REPLICAOF host port: follow that master (replica/replica.py); NO ONE: stop,
    keeping the data. Answered as Redis answers, checks in its order."""
    from ..replication.replica import follow, unfollow   # it needs connection.Client
    server = c.server
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        if unfollow(server):
            log.notice(f"MASTER MODE enabled (user request from '{c.info_line()}')")
        return OK
    if c.replica is not None:
        raise CommandError(errors.REPLICAOF_FROM_REPLICA)
    port = to_int(argv[2], errors.INVALID_MASTER_PORT)
    if not 0 <= port <= 65535:
        raise CommandError(errors.INVALID_MASTER_PORT)
    host = argv[1].decode("utf-8", "replace")
    link = server.link
    if link is not None and link.host.lower() == host.lower() and link.port == port:
        return "OK Already connected to specified master"
    follow(server, host, port)
    return OK


def _install(server):
    master = server.master = Master(server)
    server.extensions.append(master)
    server.close_hooks.append(master.client_closed)
    server.config.hooks["min_replicas"] = lambda config, opt, value: master.guard_writes()
    master.guard_writes()

    def link_closed(client):
        link = server.link
        if link is not None:
            link.client_closed(client)
    server.close_hooks.append(link_closed)


INSTALLERS.append(_install)
