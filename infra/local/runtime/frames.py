"""The frames on a worker's pipes: length-prefixed, as `multiprocessing.connection` writes them.

The cloud (`process.py`) and the custom runtime's worker (`custom_worker.py`, which loads this
file by path) both speak them, so this module imports nothing from the kit.
"""

from __future__ import annotations

import struct


def frame(payload: bytes) -> bytes:
    """One length-prefixed frame, as `Connection.send_bytes` writes it."""
    if len(payload) > 0x7FFFFFFF:
        return struct.pack("!i", -1) + struct.pack("!Q", len(payload)) + payload
    return struct.pack("!i", len(payload)) + payload


class FrameReader:
    """Splits a byte stream into `Connection.send_bytes` frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The frames `data` completes, in order (a partial frame waits for the next feed)."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= 4:
            (size,) = struct.unpack_from("!i", self._buffer)
            start = 4
            if size == -1:
                if len(self._buffer) < 12:
                    break
                (size,) = struct.unpack_from("!Q", self._buffer, 4)
                start = 12
            if len(self._buffer) < start + size:
                break
            frames.append(bytes(self._buffer[start : start + size]))
            del self._buffer[: start + size]
        return frames
