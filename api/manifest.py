"""The manifest `report all` writes next to its files, and the check `verify --manifest` runs (CONTRACT §4).

DIR/manifest.json holds the seq and chain hash the files are as of, each file's SHA-256 and the
tags up to that seq (`SEQ:HASH`). `manifest_problem` replays the log as of that seq into a
temporary folder and names the first file that would not be written byte-identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from .report_files import MANIFEST

if TYPE_CHECKING:
    from .reports import Written


class Manifest(msgspec.Struct, frozen=True):
    """A manifest `report all` wrote (see `api.reports.Written`); `files`: `YEAR/name` -> SHA-256."""

    seq: int
    head: str
    files: dict[str, str]
    tags: dict[str, str]


def file_digests(folder: Path, known: dict[str, str] | None = None) -> dict[str, str]:
    """`YEAR/name` -> SHA-256 of every report file under `folder` (the manifest itself excluded);
    `known`: digests already checked (an incremental `report all` reused those files), not read again."""
    import hashlib

    known = known or {}
    return {
        name: known[name] if name in known else hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
        for name in (path.relative_to(folder).as_posix(),)
    }


def write_manifest(folder: Path, written: Written, known: dict[str, str] | None = None) -> dict[str, str]:
    """`folder/manifest.json`: the seq and chain hash the files are as of, their SHA-256, and the
    tags up to that seq (`SEQ:HASH`); the digests (`file_digests`, `known` not read again)."""
    from .report_files import write_json

    digests = file_digests(folder, known)
    write_json(folder / MANIFEST, {"seq": written.seq, "head": written.head, "files": digests, "tags": written.tags})
    return digests


def read_manifest(path: Path) -> Manifest:
    """A manifest `report all` wrote; `UsageError` naming the field when it is not one."""
    import json

    from ..ledger.errors import UsageError

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--manifest {path}: cannot read it as JSON ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"--manifest {path}: not a gainlog manifest (expected an object)")
    seq, head, files = value.get("seq"), value.get("head"), value.get("files")
    tags = value.get("tags", {})  # absent: a manifest naming no tag
    for name, ok in (("seq", isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0),
                     ("head", isinstance(head, str)),
                     ("files", isinstance(files, dict) and all(isinstance(v, str) for v in files.values())),
                     ("tags", isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values()))):
        if not ok:
            raise UsageError(f"--manifest {path}: field {name!r}: missing or not what `report all` writes")
    return Manifest(seq=seq, head=head, files=files, tags=tags)  # type: ignore[arg-type]


def manifest_problem(db: Path, manifest: Manifest) -> str | None:
    """`verify --manifest`: the tags the manifest names must name the same seq and hash; then replay
    the log at `db` as of its seq the way `report all` does, into a temporary folder, and name the
    first file (in name order) that would not be written byte-identical to the manifest's digest.
    None when all is the same. No drift check: `verify` is the full check."""
    import tempfile

    from .reports import write_report_files

    seq, files = manifest.seq, manifest.files
    with tempfile.TemporaryDirectory(prefix="gainlog-manifest-") as work:
        now = write_report_files(db, Path(work), as_of=str(seq), check=False)
        written = file_digests(Path(work))
    for name, anchor in sorted(manifest.tags.items()):
        if now.tags.get(name) != anchor:
            return (f"--manifest: tag {name!r} named {anchor} when the manifest was written; it now names "
                    f"{now.tags.get(name, 'nothing at or before seq ' + str(seq))}")
    for name in sorted(set(files) | set(written)):
        if name not in written:
            return f"--manifest: {name} is in the manifest, but replaying the log as of seq {seq} writes no such file"
        if name not in files:
            return f"--manifest: replaying the log as of seq {seq} writes {name}, which the manifest does not list"
        if written[name] != files[name]:
            return f"--manifest: {name} would not be written byte-identical: replaying the log as of seq {seq} gives " \
                   f"sha256 {written[name]}, the manifest says {files[name]}"
    return None
