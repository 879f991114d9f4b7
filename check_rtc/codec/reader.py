# SPDX-License-Identifier: GPL-3.0-or-later
"""Bounds-checked reading of wire data (codec layer; the dnspython Parser idea).

Every read checks the remaining length first, so a decoder built on Reader
raises DecodeError with a message naming the field, never IndexError or
struct.error.
"""

from check_rtc.errors import DecodeError


class Reader:
    """A cursor over bytes; `what` names the field in every error message."""

    __slots__ = ("_data", "_offset", "_end", "what")

    def __init__(self, data: bytes, what: str, start: int = 0, end: int | None = None) -> None:
        """Read data[start:end] (to the end of `data` by default) without copying it."""
        self._data = data
        self._offset = start
        self._end = len(data) if end is None else min(end, len(data))
        self.what = what

    @property
    def offset(self) -> int:
        """Bytes read so far: the position of the next read in the data."""
        return self._offset

    @property
    def remaining(self) -> int:
        """Bytes not yet read."""
        return self._end - self._offset

    def take(self, size: int) -> bytes:
        """The next `size` bytes; DecodeError "<what> is truncated" if fewer remain."""
        if size > self.remaining:
            raise self.error("is truncated")
        start = self._offset
        self._offset += size
        return self._data[start : self._offset]

    def uint(self, size: int) -> int:
        """The next `size` bytes as an unsigned big-endian (network order) integer."""
        return int.from_bytes(self.take(size), "big")

    def rest(self) -> bytes:
        """Everything not yet read."""
        return self.take(self.remaining)

    def done(self) -> None:
        """DecodeError "<what> is N bytes too long" unless everything was read."""
        if self.remaining:
            raise self.error(f"is {self.remaining} bytes too long")

    def error(self, problem: str) -> DecodeError:
        """A DecodeError whose message is "<what> <problem>", for the caller to raise."""
        return DecodeError(f"{self.what} {problem}")
