"""Import-time checks that need lot state (CONTRACT §2 `lots`): the use case between store and engine.

The store calls a check inside the import's transaction with the would-be log; raising aborts the
import, so nothing is half-written. Only a sell's specific identification needs lot state today: a
`lots` list naming an unknown lot, or more than that lot holds at the sale, is refused at import
(a later correction that makes an old list unsatisfiable is not refused: the replay falls back to
the method in force and warns, R3.6).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ledger.events import Event, Recorded
    from ledger.store import Store


def lot_references(store: Store, *, origin: Path | None = None) -> Callable[[list[Recorded]], None]:
    """A store `check` refusing new sells whose `lots` cannot be satisfied.

    The whole log is replayed only when the batch holds a sell that names lots.
    """
    tz = store.timezone

    def check(new: list[Recorded]) -> None:
        from ledger.errors import InvalidEvent
        from ledger.events import Sell
        from projections.knowledge import live
        from projections.lots_engine import check_lot_references

        if not any(isinstance(r.event, Sell) and r.event.lots for r in new):
            return
        messages = check_lot_references(live(store.read()), tz=tz, from_seq=new[0].seq)
        if messages:
            bad = next(r for r in new if messages[0].startswith(f"{r.key} (seq {r.seq})"))
            where = _line_of(origin, bad.event, tz) if origin is not None else "add"
            what = messages[0].split(": ", 1)[1]  # drop "KEY (seq N)": not written, so not worth naming
            more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
            raise InvalidEvent(f"{where}: field 'lots': {what}{more}")

    return check


def _line_of(origin: Path, event: Event, tz: ZoneInfo) -> str:
    """`FILE:LINE` of the first line that decodes to `event` (only run when reporting an error)."""
    from ledger import codec
    from ledger.errors import InvalidEvent

    with origin.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                if codec.decode_line(line, tz=tz, where="") == event:
                    return f"{origin}:{number}"
            except InvalidEvent:
                continue
    return str(origin)

