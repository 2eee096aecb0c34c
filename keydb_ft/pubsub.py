"""Pub/sub registry and delivery.

Discipline: the channel and pattern tables are guarded by PubSub.lock (a leaf lock); a
subscriber's own sets (client.channels / patterns / shard_channels) are loop-owned and
changed only by its loop. PUBLISH takes a snapshot of the receivers under the lock and
posts each message to the receiver's loop, which encodes it for the client's protocol
(push in RESP3, array in RESP2) and flushes; messages from one publisher keep their order
because each loop's mailbox is FIFO.
"""

from .commands.args import glob_matcher
from .locks.striped import leaf_lock
from .resp.writer import Push
from .threadstate import peek


class PubSub:
    def __init__(self, server):
        self.server = server
        self.lock = leaf_lock(50, "pubsub")
        self.channels = {}        # channel -> set of clients
        self.patterns = {}        # pattern -> set of clients
        self.shard = {}           # shard channel -> set of clients
        self.event_flags = ""     # parsed notify-keyspace-events

    # -- subscriptions (called on the subscriber's loop) ----------------------------------
    def subscribe(self, client, table_name, name):
        table = getattr(self, table_name)
        with self.lock:
            subs = table.setdefault(name, set())
            added = client not in subs
            subs.add(client)
        return added

    def unsubscribe(self, client, table_name, name):
        table = getattr(self, table_name)
        with self.lock:
            subs = peek(table, name)
            if subs is None or client not in subs:
                return False
            subs.discard(client)
            if not subs:
                del table[name]
        return True

    def drop_client(self, client):
        for table_name, names in (("channels", client.channels), ("patterns", client.patterns),
                                  ("shard", client.shard_channels)):
            for name in list(names):
                self.unsubscribe(client, table_name, name)
            names.clear()
        client.replain()

    # -- publishing (any thread) ----------------------------------------------------------
    def publish(self, channel, message, shard=False):
        with self.lock:
            if shard:
                direct = list(peek(self.shard, channel, ()))
                matched = []
            else:
                direct = list(peek(self.channels, channel, ()))
                matched = [(pat, list(subs)) for pat, subs in self.patterns.items()
                           if glob_matcher(pat)(channel)]
        kind = b"smessage" if shard else b"message"
        for client in direct:
            client.loop.post(deliver, client, Push([kind, channel, message]))
        count = len(direct)
        for pattern, subs in matched:
            for client in subs:
                client.loop.post(deliver, client, Push([b"pmessage", pattern, channel, message]))
            count += len(subs)
        return count

    def counts(self):
        """(channels, patterns, shard channels) with at least one subscriber."""
        with self.lock:
            return len(self.channels), len(self.patterns), len(self.shard)

    # -- keyspace notifications -----------------------------------------------------------
    def configure_events(self, text):
        flags = set(text)
        if "A" in flags:
            flags |= set("g$lshzxetd")
        self.event_flags = flags
        keyspace = self.server.keyspace
        wanted = flags & set("KE") and flags - set("KE")
        keyspace.notify_hook = self.notify if wanted else None

    def notify(self, dbid, type_class, event, key):
        flags = self.event_flags
        if type_class not in flags:
            return
        if "K" in flags:
            self.publish(b"__keyspace@%d__:" % dbid + key, event.encode())
        if "E" in flags:
            self.publish(b"__keyevent@%d__:" % dbid + event.encode(), key)


def deliver(client, message):
    """On the subscriber's loop: encode, enforce the pubsub output limit, flush."""
    if client.closed:
        return
    client.reply_push(message)
    client.flush()                  # which applies client-output-buffer-limit's pubsub class
