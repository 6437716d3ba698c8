"""One zip member deflated by two processes: the first half here, the second in a forked process.

Why by hand: zipfile deflates a member itself, in the writing process, and offers no way to write
data deflated elsewhere. Raw deflate streams can be joined (as pigz does): the first half ends
with a sync flush (byte-aligned, not the last block), the second is a complete stream. The
member's CRC-32 is combined from the halves' CRCs (zlib's crc32_combine is not in Python's zlib
module; the identity used is crc(A+B) = crc(A+zeros) ^ crc(B) ^ crc(zeros), zeros as long as B).
zipfile's writer is given the deflated bytes through a pass-through compressor, and told the
CRC and size of the inflated member before it writes them (attributes of Python 3.11's
zipfile._ZipWriteFile, the version the project pins; tests read the result back with its CRC
checked, and LibreOffice opens it).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

LEVEL = 2           # less than half of level 6's time, for a fifth more bytes

try:  # zlib-ng: the same deflate format, made about 1.5x faster (a CRC-32 7x); zlib where it is missing
    from zlib_ng import zlib_ng as fast_zlib
except ImportError:  # pragma: no cover - zlib-ng is a dependency; kept working without it
    fast_zlib = zlib
BLOCK = 1 << 20
_ZEROS = bytes(16 << 20)


def crc32_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """The CRC-32 of A followed by B, from the CRC-32 of each and the length of B."""
    with_zeros, zeros = crc_a, 0
    left = length_b
    while left:
        piece = _ZEROS[:min(left, len(_ZEROS))]
        with_zeros, zeros = fast_zlib.crc32(piece, with_zeros), fast_zlib.crc32(piece, zeros)
        left -= len(piece)
    return with_zeros ^ crc_b ^ zeros


class Deflated:
    """Chunks of a member, deflated as they come; `finish()` ends the stream (last) or only aligns it
    to a byte (when another deflated stream follows). crc and size count the inflated bytes."""

    def __init__(self) -> None:
        self.compressor = fast_zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        self.crc, self.size = 0, 0

    def take(self, data: bytes) -> bytes:
        self.crc = fast_zlib.crc32(data, self.crc)
        self.size += len(data)
        return self.compressor.compress(data)

    def finish(self, last: bool) -> bytes:
        return self.compressor.flush(fast_zlib.Z_FINISH if last else fast_zlib.Z_SYNC_FLUSH)


def deflated(chunks: Iterable[bytes], state: dict[str, int]) -> Iterator[bytes]:
    """A complete raw deflate stream of the chunks; its inflated CRC and size left in `state`."""
    stream = Deflated()
    for chunk in _blocks(chunks):
        out = stream.take(chunk)
        if out:
            yield out
    yield stream.finish(last=True)
    state.update(crc=stream.crc, size=stream.size)


class Halves:
    """A member's content: `first` (plain chunks, deflated here) then `second`, a forked half whose
    chunks are already deflated and whose result() is (crc, size, anything else), or None."""

    def __init__(self, first: Iterable[bytes], second: Any):
        self.first, self.second = first, second


class Ready:
    """A member deflated elsewhere (by the forked half): get() -> (deflated bytes, CRC-32, inflated size)."""

    def __init__(self, get: Any):
        self.get = get


def deflate_whole(chunks: Iterable[bytes]) -> tuple[bytes, int, int]:
    """A complete raw deflate stream of the chunks joined, with their CRC-32 and size (for Ready)."""
    stream = Deflated()
    out = [stream.take(data) for data in chunks]
    out.append(stream.finish(last=True))
    return b"".join(out), stream.crc, stream.size


def write_ready(dst: Any, ready: Ready) -> None:
    """Write a member deflated elsewhere into an open zipfile member (opened for ZIP_DEFLATED)."""
    data, crc, size = ready.get()
    dst._compressor = _PassThrough()
    dst.write(data)
    dst._crc, dst._file_size = crc, size


class _PassThrough:
    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


def write_halves(dst: Any, halves: Halves) -> None:
    """Write the halves into an open zipfile member (opened for ZIP_DEFLATED); `second` may be None
    (a member made here alone). The first half's blocks are deflated on a second thread while the
    next is made: zlib, crc32 and file writes release the GIL, so on two cores the deflate costs
    little on top of making the part."""
    dst._compressor = _PassThrough()
    stream = Deflated()
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for block in _blocks(halves.first):
            if pending is not None:
                pending.result()  # at most one block waiting: memory stays flat
            pending = writer.submit(lambda b: dst.write(stream.take(b)), block)
        if pending is not None:
            pending.result()
    if halves.second is None:
        dst.write(stream.finish(last=True))
        dst._crc, dst._file_size = stream.crc, stream.size
        return
    dst.write(stream.finish(last=False))
    for chunk in halves.second.chunks():
        dst.write(chunk)
    crc, size = halves.second.result()[:2]
    dst._crc = crc32_combine(stream.crc, crc, size)
    dst._file_size = stream.size + size


def _blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Chunks gathered into blocks of about 1 MiB (one deflate call each, not one per row)."""
    block: list[bytes] = []
    size = 0
    for chunk in chunks:
        block.append(chunk)
        size += len(chunk)
        if size >= BLOCK:
            yield b"".join(block)
            block, size = [], 0
    if block:
        yield b"".join(block)


__all__ = ["Halves", "Ready", "write_halves", "write_ready", "deflate_whole", "deflated", "crc32_combine"]
