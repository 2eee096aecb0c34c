"""The list type: a deque of bytes elements (O(1) at both ends, O(n/64) by index).

Indexes follow Redis: negative counts from the tail; ranges are inclusive and clipped
the way addListRangeReply / ltrimCommand clip them. Pure data: no replies, no locks.
"""

from collections import deque
from itertools import islice

from . import register_encoding, register_type


class ListValue(deque):
    __slots__ = ()

    def copy(self):
        return ListValue(self)

    # -- ends ---------------------------------------------------------------------------
    def push(self, values, left):
        """Push values one by one at the head (left) or the tail; returns the new length."""
        if left:
            self.extendleft(values)
        else:
            self.extend(values)
        return len(self)

    def pop_many(self, count, left):
        """Remove up to count elements from one end, in the order they were removed."""
        pop = self.popleft if left else self.pop
        if count == 1:
            return [pop()] if self else []
        return [pop() for _ in range(min(count, len(self)))]

    # -- by index -------------------------------------------------------------------------
    def _abs(self, index):
        n = len(self)
        i = index + n if index < 0 else index
        return i if 0 <= i < n else None

    def get(self, index):
        i = self._abs(index)
        return None if i is None else self[i]

    def replace(self, index, value):
        """LSET: False when the index is out of range."""
        i = self._abs(index)
        if i is None:
            return False
        self[i] = value
        return True

    def clip(self, start, stop):
        """Redis's range clipping -> (first, last) absolute indexes, or None if empty."""
        n = len(self)
        if start < 0:
            start += n
        if stop < 0:
            stop += n
        if start < 0:
            start = 0
        if start > stop or start >= n:
            return None
        return start, min(stop, n - 1)

    def range(self, start, stop):
        """LRANGE start stop."""
        bounds = self.clip(start, stop)
        if bounds is None:
            return []
        first, last = bounds
        n = len(self)
        if first > n - 1 - last:      # closer to the tail: walk from there
            out = list(islice(reversed(self), n - 1 - last, n - first))
            out.reverse()
            return out
        return list(islice(self, first, last + 1))

    def trim(self, start, stop):
        """LTRIM start stop -> number of elements removed."""
        n = len(self)
        bounds = self.clip(start, stop)
        if bounds is None:
            self.clear()
            return n
        first, last = bounds
        kept = last - first + 1
        if kept < n // 2:
            items = self.range(first, last)
            self.clear()
            self.extend(items)
        else:
            for _ in range(first):
                self.popleft()
            for _ in range(n - 1 - last):
                self.pop()
        return n - kept

    # -- by value -------------------------------------------------------------------------
    def insert_at(self, pivot, value, after):
        """LINSERT: the new length, or -1 when pivot is not found."""
        try:
            i = self.index(pivot)
        except ValueError:
            return -1
        self.insert(i + 1 if after else i, value)
        return len(self)

    def remove_value(self, value, count):
        """LREM: remove up to |count| matches from the head (count > 0), the tail (< 0),
        or all of them (0). Returns how many were removed."""
        items = list(self) if count >= 0 else list(reversed(self))
        limit = abs(count) or len(items)
        kept = []
        removed = 0
        for item in items:
            if removed < limit and item == value:
                removed += 1
            else:
                kept.append(item)
        if removed:
            if count < 0:
                kept.reverse()
            self.clear()
            self.extend(kept)
        return removed

    def positions(self, value, rank, count, maxlen):
        """LPOS: indexes of matches, starting at the rank-th match (negative rank: from
        the tail), at most count of them (0: all), looking at most maxlen elements
        (0: all)."""
        n = len(self)
        it = self if rank > 0 else reversed(self)
        if maxlen:
            it = islice(it, maxlen)
        skip = abs(rank) - 1
        out = []
        for i, item in enumerate(it):
            if item == value:
                if skip:
                    skip -= 1
                    continue
                out.append(i if rank > 0 else n - 1 - i)
                if len(out) == count:
                    break
        return out


register_type(ListValue, "list")
# Redis 7.0 stores every list as a quicklist (the listpack list encoding came in 7.2).
register_encoding(ListValue, lambda value, config: "quicklist")
