"""`report donations --year Y`: the year's charitable donations (`donate` events) with what Form 8283
asks for, from one streamed replay of the log (`reading.stream`: the lot engine's fold, its slices never read), or
without one where a checkpoint serves (issue #19)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def donations(db: Path, year: int, *, as_of: str | None = None, strict: bool = False) -> dict[str, Any]:
    """`report donations --json`: {"year", "total_fmv", "total_basis", "rows", "warnings"}
    (`projections.donations.donations_json`); the warnings are the year's problems about donations and
    lost units (`lost-no-deduction`, `corporate-short`)."""
    from ..projections.donations import donations_json
    from .reading import stream
    from .report_cache import serves

    if serves(db, as_of=as_of, strict=strict):  # the drift check runs here
        return donations_json((), year)  # a log a checkpoint serves holds no `donate` or `lost` event
    streamed = stream(db, as_of, check=False)
    run = streamed.replay  # its slices are never read: the donations and the problems come from the fold
    tz = streamed.store.timezone
    seq_to_year = {d.seq: d.date.year for d in run.donations}
    seq_to_year.update({r.seq: r.event.at.astimezone(tz).year for r in run.log  # type: ignore[union-attr]
                        if r.event.__struct_config__.tag == "lost"})
    warnings = [
        p.message for p in run.problems
        if p.code in ("lost-no-deduction", "corporate-short") and seq_to_year.get(p.seq) == year
    ]
    return donations_json(run.donations, year, warnings)
