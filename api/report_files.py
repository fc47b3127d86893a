"""The files `report all` writes, and the JSON text every report shares (CONTRACT §3, §4).

Form 8949 files are written from rows given a chunk at a time (issue #7): the same bytes as the
whole report at once, without the text of all the rows in memory. `swap_into_place` replaces the
output folder as a whole (issue #18).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from ..projections.form8949 import Row, RowTexts
    from ..projections.shards import MergedText

REPORT_FILES = ("form8949.csv", "form8949.json", "schedule_d.json", "income.json", "report.html")  # in DIR/YEAR/
MANIFEST = "manifest.json"  # in DIR
_MISSING_BASIS = attrgetter("missing_basis")


def indented(compact: bytes) -> bytes:
    """Compact JSON indented as `json.dumps(value, indent=2)` writes it, with a final newline."""
    import msgspec

    return msgspec.json.format(compact, indent=2) + b"\n"


def json_bytes(value: Any) -> bytes:
    """Indented JSON, keys in the order given: the same text as `json.dumps(..., indent=2)`, many times faster."""
    import msgspec

    return indented(msgspec.json.encode(value))


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file that becomes `path` whole or not at all: a temporary file in `path`'s folder, made when
    the block starts, so that a folder that cannot take it fails at once, before the work that fills
    it (a replay of a large log), and renamed into place when the block ends without an error
    (removed otherwise). The error names `path`, never the temporary file."""
    import errno
    import os
    import tempfile

    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as `open(path, "w")` would: mkstemp makes it 0600
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    path.write_bytes(json_bytes(value))


def missing_basis_message(year: int, numbers: Sequence[int]) -> str:
    """What a report says of rows with missing basis (zero basis, R3.5)."""
    shown = ", ".join(str(n) for n in numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
    return (f"{year}: Form 8949 row(s) {shown} have missing basis: reported with zero basis, acquired on the "
            "sale date, short-term (R3.5); import the missing acquisitions or transfers in")


class MissingBasis:
    """The numbers (from 1, in 8949 order, as `explain --row` counts) of a year's rows with missing
    basis, from rows given a chunk at a time, and what a report says of them (R3.5)."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[int] = []

    def add(self, rows: Sequence[Row]) -> None:
        if any(map(_MISSING_BASIS, rows)):  # most chunks have none: no Python step per row
            self.rows.extend(self.count + i for i, r in enumerate(rows, 1) if r.missing_basis)
        self.count += len(rows)

    def add_numbers(self, count: int, missing: Sequence[int]) -> None:
        """Add `count` rows given as text (`projections.shards.MergedText`): `missing` are the indexes
        (from 0) of those with missing basis."""
        self.rows.extend(self.count + i + 1 for i in missing)
        self.count += count

    def message(self, year: int) -> str:
        """The warning, "" when there are no such rows."""
        return missing_basis_message(year, self.rows) if self.rows else ""


class JsonRows:
    """`form8949.rows_json_text(rows)` and a final line break written to `file` from rows given a chunk
    at a time: the same bytes, without the text of all the rows in memory at once (issue #7)."""

    END = b"\n]\n"  # after the last row, when there is one

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.count = 0

    def add(self, rows: Sequence[Row], texts: RowTexts | None = None) -> None:
        """Add rows; `texts`: `form8949.row_texts(rows)`, when the caller has them."""
        from ..projections.form8949 import JSON_BETWEEN, row_texts

        if rows:
            self.add_fields(JSON_BETWEEN.join((row_texts(rows) if texts is None else texts)[1]), len(rows))

    def add_fields(self, fields: str, count: int) -> None:
        """Add `count` rows given as their JSON fields joined by `form8949.JSON_BETWEEN`."""
        from ..projections.form8949 import JSON_HEAD

        self.file.write(b",\n  {\n" if self.count else JSON_HEAD.encode())
        self.file.write(fields.encode())
        self.file.write(b"\n  }")
        self.count += count

    def close(self) -> None:
        """End the array (`[]` when no rows came)."""
        self.file.write(self.END if self.count else b"[]\n")


class Form8949Files:
    """DIR/YEAR/form8949.csv and form8949.json, written from rows given a chunk at a time: the same
    bytes as `form8949.to_csv` and `form8949.rows_json_text` (and a final line break) of all of them."""

    def __init__(self, out: Path, year: int) -> None:
        from ..projections.form8949 import CsvText

        self.year = year
        self.folder = out / str(year)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.csv = CsvText()
        self.json = JsonRows((self.folder / "form8949.json").open("wb"))

    def add(self, rows: Sequence[Row]) -> None:
        from ..projections.form8949 import row_texts

        texts = row_texts(rows)  # the text of each column made once for both files
        self.csv.add(rows, texts)
        self.json.add(rows, texts)

    def add_text(self, run: MergedText) -> None:
        """Add rows as ready text, merged from a sharded replay's workers (`api.parallel.ShardRows`)."""
        for the_box, text in run.csv:
            self.csv.add_text(the_box, text)
        self.json.add_fields(run.json, run.count)

    def close(self) -> int:
        """Finish both files; how many rows they hold."""
        self.json.close()
        self.json.file.close()
        with (self.folder / "form8949.csv").open("w", encoding="utf-8") as csv_file:
            csv_file.writelines(self.csv.pieces())
        return self.json.count


def check_out(out: Path) -> None:
    """DIR may hold only what `report all` writes (year folders of report files, the manifest): it is
    replaced as a whole, and nothing else in it may be lost. A `UsageError` otherwise."""
    from ..ledger.errors import UsageError

    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"--out {out}: not a folder")
    for entry in out.iterdir():
        ours = (entry.name == MANIFEST and entry.is_file()) or (
            entry.name.isdigit() and len(entry.name) == 4 and entry.is_dir()
            and all(f.name in REPORT_FILES and f.is_file() for f in entry.iterdir())
        )
        if not ours:
            raise UsageError(
                f"--out {out}: holds {entry.name!r}, which `report all` did not write; it replaces the folder "
                "as a whole, so give an empty or new folder (or one it wrote before)"
            )


def swap_into_place(work: Path, target: Path) -> None:
    """Put the folder `work` at `target`: one rename when `target` is new, else an atomic exchange
    (Linux renameat2) and the old tree removed; elsewhere two renames (a moment without `target`)."""
    import os
    import shutil

    if not target.exists():
        os.rename(work, target)
        return
    if not _exchange(work, target):
        old = work.with_name(work.name + "-old")
        os.rename(target, old)
        os.rename(work, target)
        work = old
    shutil.rmtree(work, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where that is not available."""
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)
