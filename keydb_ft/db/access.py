"""When each key was last used: the word Redis keeps in an object's 24-bit `lru` field.

Database.access[i] maps every key of stripe i to that word (guarded by stripe lock i,
like data[i]). What the word holds depends on maxmemory-policy, as in Redis:

- LRU (every policy but the *-lfu ones): the LRU clock of the last access, in seconds
  modulo 2**24. The cron refreshes it at hz (Keyspace.tick; Redis caches it the same
  way) into Database.clock, so a touch is one attribute read and one dict store.
- LFU (Database.clock is None): (minutes modulo 2**16) << 8 | a logarithmic counter,
  which starts at 5, grows with probability 1 / ((counter - 5) * lfu-log-factor + 1)
  per access and loses one per lfu-decay-time minutes without one.

Switching policy leaves the stored words as they are, so for a while one is read as
the other (OBJECT IDLETIME / FREQ then report nonsense), exactly as Redis warns.
"""

import random
import time

LRU_CLOCK_MAX = (1 << 24) - 1
LFU_INIT_VAL = 5


def lru_clock():
    return int(time.time()) & LRU_CLOCK_MAX


def lfu_minutes():
    return (int(time.time()) // 60) & 65535


def idle_ms(word, clock):
    """Milliseconds from the access an LRU word records to clock (Keyspace.lru_clock,
    the one touches store, so a key just used reads 0; the clock wraps)."""
    if clock >= word:
        return (clock - word) * 1000
    return (clock + (LRU_CLOCK_MAX - word)) * 1000


def lfu_counter(word, decay_time):
    """The counter of an LFU word after the decay due by now (not stored)."""
    counter = word & 255
    if decay_time:
        now, then = lfu_minutes(), word >> 8
        elapsed = now - then if now >= then else 65535 - then + now
        periods = elapsed // decay_time
        if periods:
            counter = 0 if periods > counter else counter - periods
    return counter


def lfu_new():
    return (lfu_minutes() << 8) | LFU_INIT_VAL


def lfu_touch(acc, key, config):
    """An access to key under an LFU policy: decay, then the logarithmic increment."""
    counter = lfu_counter(acc[key], config.lfu_decay_time) if key in acc else LFU_INIT_VAL
    if counter < 255:
        base = max(counter - LFU_INIT_VAL, 0)
        if random.random() < 1.0 / (base * config.lfu_log_factor + 1):
            counter += 1
    acc[key] = (lfu_minutes() << 8) | counter


def word_for_restore(lfu, idle_seconds, freq, clock):
    """The word of a key restored (RESTORE IDLETIME / FREQ, an RDB's IDLE / FREQ
    opcodes), or None to treat it as new: FREQ counts under LFU, IDLETIME otherwise.

    The idle time goes through Redis's arithmetic: scaled by 1000 and back in a signed
    64-bit integer (it wraps for absurd values), taken from the clock, lifted by the
    clock's maximum once if that went below zero, and cut to the 24-bit field."""
    if lfu:
        return None if freq is None else (lfu_minutes() << 8) | freq
    if idle_seconds is None:
        return None
    scaled = (idle_seconds * 1000) & 0xFFFFFFFFFFFFFFFF
    if scaled >= 1 << 63:
        scaled -= 1 << 64
    idle = abs(scaled) // 1000 * (1 if scaled >= 0 else -1)     # C division truncates
    word = clock - idle
    if word < 0:
        word += LRU_CLOCK_MAX
    return word & 0xFFFFFF
