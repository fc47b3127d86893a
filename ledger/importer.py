"""Reading a canonical `.jsonl` file into validated events, each with the file:line it came from.

Nothing is written here: `Store.import_events` takes the result and appends it in one transaction,
so a bad line anywhere means the log is left as it was (issue #2). Blank lines are skipped; a UTF-8
byte-order mark is tolerated; a file that is missing, a directory, or not UTF-8 is refused with one
sentence naming it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from ledger import codec
from ledger.errors import InvalidEvent, UsageError
from ledger.events import Event

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000


class Parsed(msgspec.Struct, frozen=True):
    """One input event and where it came from (`file:line`, or `add`)."""

    where: str
    event: Event


def read_data(path: Path) -> bytes:
    """The file's bytes (without a UTF-8 byte-order mark), after checking it is a readable UTF-8 file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a .jsonl file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InvalidEvent(f"{path}:{line}: not UTF-8 text (byte {data[exc.start]:#04x})") from None
    return data


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
        if not line.strip():
            continue
        where = f"{name}:{number}"
        out.append(Parsed(where, decode(line, tz=tz, where=where)))
    if progress is not None:
        progress(total, total)
    return out


def decode_jsonl(path: Path, *, tz: ZoneInfo, progress: Progress | None = None) -> Iterator[tuple[int, codec.Decoded]]:
    """(line number, canonical body and facts) of every non-blank line of `path`, in order.

    The same lines, validation and messages as `parse_jsonl` (InvalidEvent names `path:line` and
    the field); a line takes `codec.decode_fast`, and `codec.decode_line` whenever that one declines.
    """
    data = read_data(path)
    total = data.count(b"\n") + 1
    name = str(path)
    fast = codec.decode_fast
    for number, line in _numbered(data):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number, total)
        if not line.strip():
            continue
        facts = fast(line)
        if facts is None:
            text = line[:-1] if line.endswith(b"\n") else line
            facts = codec.decoded(codec.decode_line(text, tz=tz, where=f"{name}:{number}"))
        yield number, facts
    if progress is not None:
        progress(total, total)
