"""Reading a canonical `.jsonl` file into validated events, each with the file:line it came from.

Nothing is written here: `Store.import_events` takes the result and appends it in one transaction,
so a bad line anywhere means the log is left as it was (issue #2). Blank lines are skipped; a UTF-8
byte-order mark is tolerated; a file that is missing, a directory, or not UTF-8 is refused with one
sentence naming it.

A CSV export is read as text here too (`read_text`, the one place that decides its encoding): UTF-8
(with or without a byte-order mark), or, when that fails, Windows-1252, the encoding Excel saves CSV
files in, with a warning (issue #12). `file_digest` is the SHA-256 of a file's bytes, which the
store keeps per batch to recognise a file imported twice.
"""

from __future__ import annotations

import hashlib
import io
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from . import codec
from .errors import InvalidEvent, UsageError
from .events import Event
from .limits import MAX_LINE_BYTES

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000


class Parsed(msgspec.Struct, frozen=True):
    """One input event and where it came from (`file:line`, or `add`)."""

    where: str
    event: Event


def read_data(path: Path) -> bytes:
    """The file's bytes (without a UTF-8 byte-order mark), after checking it is a readable UTF-8 file.

    Only a regular file is read: a device (`/dev/zero`), a named pipe or a socket never ends or
    blocks, so it is refused before it is opened. A NUL byte means it is not a text file.
    """
    data = _read_bytes(path)
    problem = _utf8_problem(path, data)
    if problem is not None:
        raise problem
    return data


class Text(msgspec.Struct, frozen=True):
    """A text file's content and, when it was not UTF-8, the warning saying how it was read.

    Attributes:
        text: the decoded text (without a byte-order mark).
        encoding: `utf-8` or `cp1252`.
        warning: a sentence for the user when the file was read as Windows-1252, else None.
    """

    text: str
    encoding: str = "utf-8"
    warning: str | None = None


def read_text(path: Path) -> Text:
    """A CSV export's text: UTF-8 (a byte-order mark dropped), else Windows-1252 with a warning.

    The same refusals as `read_data` (missing, a directory, a device, a NUL byte); a file that is
    neither UTF-8 nor Windows-1252 (a byte Windows-1252 leaves undefined) is refused as not UTF-8.
    """
    data = _read_bytes(path)
    problem = _utf8_problem(path, data)
    if problem is None:
        return Text(data.decode("utf-8"))
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise problem from None
    start = _first_non_utf8(data)
    line = data.count(b"\n", 0, start) + 1
    return Text(
        text,
        "cp1252",
        f"{path}:{line}: not UTF-8 (byte {data[start]:#04x}): read as Windows-1252, the encoding Excel "
        "saves CSV files in",
    )


def file_digest(path: Path) -> str:
    """The SHA-256 of the file's bytes, in hex (the file was read once already: errors are OSError)."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_bytes(path: Path) -> bytes:
    """The bytes of the regular file `path` (a UTF-8 byte-order mark dropped), without NUL bytes."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise UsageError(f"{path}: not a regular file (a device, pipe or socket); give a file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a .jsonl file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(0)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InvalidEvent(f"{path}:{line}: not a text file (a NUL byte at byte {nul + 1})")
    return data


def _first_non_utf8(data: bytes) -> int:
    """The offset of the first byte that makes `data` invalid UTF-8 (-1 when it is valid)."""
    if data.isascii():
        return -1
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return -1


def _utf8_problem(path: Path, data: bytes) -> InvalidEvent | None:
    """The refusal of a file that is not UTF-8, naming its line and the first bad byte; None if it is."""
    start = _first_non_utf8(data)
    if start < 0:
        return None
    line = data.count(b"\n", 0, start) + 1
    return InvalidEvent(f"{path}:{line}: not UTF-8 text (byte {data[start]:#04x})")


def _too_long(name: str, number: int, size: int) -> InvalidEvent:
    return InvalidEvent(
        f"{name}:{number}: line is {size:,} bytes long; an event line is at most {MAX_LINE_BYTES:,} bytes"
    )


def read_lines(path: Path) -> list[bytes]:
    """The file's lines as bytes, after checking it is a readable UTF-8 file."""
    return read_data(path).split(b"\n")


def _numbered(data: bytes) -> Iterator[tuple[int, bytes]]:
    """`enumerate(data.split(b"\\n"), 1)` without holding every line at once (a line keeps its newline)."""
    number = 0
    for number, line in enumerate(io.BytesIO(data), 1):  # noqa: B007 (read after the loop)
        yield number, line
    if not data or data.endswith(b"\n"):
        yield number + 1, b""  # split's last, empty piece


def parse_jsonl(path: Path, *, tz: ZoneInfo, progress: Progress | None = None) -> list[Parsed]:
    """Every non-blank line of `path` as a validated event; InvalidEvent names `path:line` and the field."""
    lines = read_lines(path)
    total = len(lines)
    out: list[Parsed] = []
    name = str(path)
    decode = codec.decode_line
    for number, line in enumerate(lines, 1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number, total)
        if len(line) > MAX_LINE_BYTES:
            raise _too_long(name, number, len(line))
        if not line.strip():
            continue
        where = f"{name}:{number}"
        out.append(Parsed(where, decode(line, tz=tz, where=where)))
    if progress is not None:
        progress(total, total)
    return out


def decode_jsonl(
    path: Path, *, tz: ZoneInfo, progress: Progress | None = None
) -> Iterator[tuple[str, int, codec.Decoded]]:
    """(`str(path)`, line number, canonical body and facts) of every non-blank line of `path`, in
    order: what `Store._keyed` takes, one tuple per line.

    The same lines, validation and messages as `parse_jsonl` (InvalidEvent names `path:line` and
    the field); a line takes `codec.decode_fast`, and `codec.decode_line` whenever that one declines.
    """
    data = read_data(path)
    # the line count only for a progress bar: counting newlines costs about a millisecond a megabyte
    total = data.count(b"\n") + 1 if progress is not None else 0
    name = str(path)
    fast = codec.fast_decoder()
    for number, line in _numbered(data):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number, total)
        if len(line) > MAX_LINE_BYTES:
            raise _too_long(name, number, len(line))
        if not line or line.isspace():  # blank (`strip` would copy every line)
            continue
        facts = fast(line)
        if facts is None:
            text = line[:-1] if line.endswith(b"\n") else line
            facts = codec.decoded(codec.decode_line(text, tz=tz, where=f"{name}:{number}"))
        yield name, number, facts
    if progress is not None:
        progress(total, total)
