"""The one exception raised by the RDB codec modules for truncated or corrupt input."""

__all__ = ["RDBFormatError"]


class RDBFormatError(ValueError):
    """Input is truncated or corrupt.

    `offset` is the byte offset (within the outermost buffer being decoded, when the
    caller passed a `base`) where the problem was found; `reason` is the bare message.
    """

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} (at byte offset {offset})")
        self.reason = reason
        self.offset = offset
