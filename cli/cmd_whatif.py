"""`gainlog whatif`: the log plus hypothetical events, or another lot method, against the log (CONTRACT §4).

Parses the options, calls `api.whatif.whatif` and renders `diff`'s JSON shape plus the tax delta, or
for people the changed Schedule D amounts, the 8949 rows added and removed, the tax before and after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import AsOfOpt, JsonOpt, State, YearOpt, app, console, emit_json

AddOpt = Annotated[
    Path | None, typer.Option("--add", metavar="FILE.jsonl", help="Hypothetical events, never written.")
]
MethodOpt = Annotated[
    str | None,
    typer.Option("--method", metavar="M", help="FIFO, LIFO, HIFO or LOFO elected for the whole year."),
]


@app.command("whatif")
def whatif_command(
    year: YearOpt, add: AddOpt = None, method: MethodOpt = None, as_of: AsOfOpt = None, json_out: JsonOpt = False
) -> None:
    """What a year's results would be with more events or another lot method, and the tax delta."""
    from ..api.whatif import whatif

    result = whatif(State.db, year, add=add, method=method, as_of=as_of, strict=State.strict)
    if json_out:
        emit_json(result.to_json())
    else:
        _print(result.to_json())


def _print(value: dict[str, Any]) -> None:
    from .cmd_audit import _print_diff
    from .render import line, short_key

    _print_diff({**value, "events": []}, None)
    out = console()
    if value["events"]:
        out.print("Hypothetical events (never written):")
        for e in value["events"]:
            out.print(f"  {e['type']} {e.get('at', e.get('from', ''))}  {short_key(e['key'])}")
    tax = value["tax"]
    if tax is not None:
        out.print(f"Tax {value['year']} (estimate): log {tax['before']}, what-if {tax['after']}, "
                  f"savings {tax['savings']}")
    for warning in value["warnings"]:
        out.print(line(("warning:", "yellow"), f" {warning}"))
