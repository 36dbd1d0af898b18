"""Large text files read in chunks of whole lines, gzip inflated as they go: what the fast
readers (CSV, libsvm) hand to pyarrow and numpy, never the whole inflated text at once."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from .decode import FileData, inflate_pieces


class NeedsExactParse(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a fast reader that cannot vouch for its result (a row to name in an error,
    a value it cannot tell apart from the exact reader's): the caller reads the file again
    with the exact reader, which words any error."""


def text_source(file: FileData) -> Inflating | Plain:
    return Inflating(file.data, file.size) if file.gzip else Plain(file.data)


def arrow_copy(data: bytes | bytearray | memoryview) -> pa.Buffer:
    """A copy of ``data`` in pyarrow's own memory. pyarrow may let go of a buffer after the
    call that read it has returned (an error leaves tasks running); letting go of memory
    Python owns takes the GIL, which aborts a process that is exiting by then."""
    buffer = pa.allocate_buffer(len(data))
    np.frombuffer(buffer, dtype=np.uint8)[:] = np.frombuffer(data, dtype=np.uint8)
    return buffer


class Inflating:
    """The inflated text of gzip data, in whole lines, inflated as it is read (zlib lets go of
    the GIL while it works: :meth:`lines` runs it in a thread of its own, beside the parse).
    A carriage return not followed by a line feed stops the reading (:class:`NeedsExactParse`):
    pyarrow takes it for a line break, the exact reader does not."""

    def __init__(self, data: bytes, size: int | None = None) -> None:
        self._pieces = inflate_pieces(data, size)  # never past the size the request checked
        self._held = bytearray()  # inflated, not handed out yet
        self._cr_end = False  # the last piece ended in a carriage return
        self._done = False

    def _next(self) -> bytes:
        piece = b"" if self._done else next(self._pieces, b"")
        if not piece:
            self._done = True
            if self._cr_end:
                raise NeedsExactParse
            return piece
        if self._cr_end and piece[:1] != b"\n":
            raise NeedsExactParse
        if b"\r" in piece and lone_carriage_return(piece):
            raise NeedsExactParse
        self._cr_end = piece[-1:] == b"\r"
        return piece

    def peek(self, size: int) -> tuple[bytes, bool]:
        """The first ``size`` bytes not handed out yet (fewer at the end), and whether they
        reach the end of the file."""
        while len(self._held) < size and not self._done:
            self._held += self._next()
        return bytes(self._held[:size]), self._done and len(self._held) <= size

    def skip(self, size: int) -> None:
        del self._held[:size]

    def _chunks(self, size: int) -> Iterator[tuple[pa.Buffer, int]]:
        held = self._held
        while True:
            while len(held) < size and not self._done:
                held += self._next()
            if self._done:
                if held:
                    yield arrow_copy(held), lines_in(held, 0, len(held))
                return
            end = held.rfind(b"\n") + 1
            if end == 0:  # a line longer than a chunk
                size *= 2
                continue
            chunk = arrow_copy(memoryview(held)[:end])
            lines = lines_in(held, 0, end)
            del held[:end]
            yield chunk, lines

    def lines(self, size: int) -> Iterator[tuple[pa.Buffer, int]]:
        """The rest of the text in chunks of whole lines (about ``size`` bytes each, in
        pyarrow's memory) with the number of lines in each, inflated in a thread ahead of the
        caller (at most two chunks ahead)."""
        ahead: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in self._chunks(size):
                    while not stop.is_set():
                        try:
                            ahead.put(chunk, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                ahead.put(None)
            except BaseException as exc:  # handed to the reading thread
                ahead.put(exc)

        worker = threading.Thread(target=produce, name="ingest-inflate", daemon=True)
        worker.start()
        try:
            while True:
                item = ahead.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():
                try:
                    ahead.get(timeout=0.1)
                except queue.Empty:
                    pass
            worker.join()


class Plain:
    """Uncompressed bytes, handed out in place."""

    def __init__(self, data: bytes | bytearray) -> None:
        if b"\r" in data and lone_carriage_return(data):
            raise NeedsExactParse
        self._data = data
        self._pos = 0

    def peek(self, size: int) -> tuple[bytes, bool]:
        end = self._pos + size
        return bytes(self._data[self._pos : end]), end >= len(self._data)

    def skip(self, size: int) -> None:
        self._pos += size

    def lines(self, size: int) -> Iterator[tuple[pa.Buffer, int]]:
        """The rest of the text in chunks of whole lines (about ``size`` bytes each, copied
        into pyarrow's memory) with the number of lines in each."""
        data, pos, total = self._data, self._pos, len(self._data)
        view = memoryview(data)
        while pos < total:
            end = total if pos + size >= total else data.rfind(b"\n", pos, pos + size) + 1
            if end <= pos:  # a line longer than a chunk
                found = data.find(b"\n", pos + size)
                end = total if found < 0 else found + 1
            yield arrow_copy(view[pos:end]), lines_in(data, pos, end)
            pos = end


def lines_in(data: bytes | bytearray, start: int, end: int) -> int:
    """How many lines data[start:end] holds (the last one may lack its line feed)."""
    count = data.count(b"\n", start, end)
    return count + (1 if end > start and data[end - 1] != 10 else 0)


def blank_lines(chunk: pa.Buffer | bytes) -> int:
    """How many lines of ``chunk`` are empty (or a lone CR of a CRLF), as pyarrow skips them."""
    text = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(text == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    length = ends - starts
    cr = np.zeros(len(ends), dtype=bool)
    one = length == 1
    cr[one] = text[starts[one]] == 13
    return int(np.count_nonzero((length == 0) | cr))


def lone_carriage_return(data: bytes | bytearray) -> bool:
    """Whether ``data`` has a carriage return that is not the start of a CRLF (one at the very
    end counts too: the caller looks at what follows)."""
    count = data.count(b"\r")
    return count != data.count(b"\r\n") + (1 if data.endswith(b"\r") else 0)


TextSource = Inflating | Plain
