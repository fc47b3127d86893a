"""`gainlog diff` and `gainlog explain`: audit a past year (CONTRACT §1).

`diff` replays the year at two knowledge points and compares the contract's own outputs;
`explain` lists the events behind each number. Both are read-only: each command calls
`api.audit.year_diff` / `api.audit.explain` (docs/api.md) and renders the result.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .app import AsOfOpt, JsonOpt, State, YearOpt, app, console, emit_json

FromOpt = Annotated[str, typer.Option("--from", help="Knowledge point before: seq, tag or @time.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Knowledge point after (default: the head).")]
RowOpt = Annotated[int | None, typer.Option("--row", help="One 8949 row, counted from 1 in form order.")]


@app.command("diff")
def diff_command(year: YearOpt, from_point: FromOpt, to_point: ToOpt = None, json_out: JsonOpt = False) -> None:
    """What changed in a year's results between two knowledge points, and which events caused it."""
    from ..api.audit import year_diff

    result = year_diff(State.db, year, from_point, to_point, strict=State.strict)
    if json_out:
        emit_json(result.to_json())
    else:
        _print_diff(result.to_json(), result.timezone)


@app.command("explain")
def explain_command(year: YearOpt, row: RowOpt = None, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """The events behind each number: acquisitions, transfers, wash-sale adjustments, the method."""
    from ..api.audit import explain

    result = explain(State.db, year, as_of=as_of, row=row, strict=State.strict)
    if json_out:
        emit_json(result.to_json())
    else:
        _print_explain(result.to_json(), result.timezone)


# -- rendering for people --------------------------------------------------------------------


def _print_diff(result: dict[str, Any], tz: Any) -> None:
    from ..projections.diff import changed_amounts
    from .render import line, local_time, number_column, number_table, print_table, printer, short_key

    out = console()
    out.print(line((str(result["year"]), "bold"), f": from {result['from']} to {result['to']}"))
    changes = changed_amounts(result["schedule_d"])
    if not changes and not result["rows"]["added"] and not result["rows"]["removed"]:
        out.print("No change.")
    if changes:
        table = number_table(title="Schedule D")
        table.add_column("amount", overflow="fold")
        for col in ("from", "to", "delta"):
            number_column(table, col)
        for path, c in changes:
            table.add_row(path, c["from"], c["to"], c["delta"])
        print_table(out, table)
    for what in ("removed", "added"):
        rows = result["rows"][what]
        if rows:
            table = number_table(title=f"8949 rows {what}")
            for col in ("description", "acquired", "sold", "proceeds", "basis", "adj", "gain", "term", "event"):
                if col in ("proceeds", "basis", "adj", "gain"):
                    number_column(table, col)
                else:
                    table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"],
                              r["cost_basis"], r["adjustment"], r["gain"], r["term"], short_key(r.get("event_key", "")))
            print_table(out, table)
    if result["events"]:
        lines = printer()  # off a terminal without rich's cost per line: a diff may list 100,000 events
        lines.print("Events recorded in between:")
        for e in result["events"]:
            when = local_time(e.get("at", ""), tz)
            what = f"retract {short_key(e['target'])}" if e["type"] == "retract" else f"{e['type']} {when}"
            lines.print(f"  seq {e['seq']}  {what}  {short_key(e['key'])}")


def _print_explain(result: dict[str, Any], tz: Any) -> None:
    from .render import cap, line, local_time, printer, short_key

    out = printer()
    sd = result.get("schedule_d")
    if sd is not None:
        out.print(line((f"Schedule D {result['year']}", "bold"), f" (as of seq {result['as_of']})"))
        for term in ("short_term", "long_term"):
            src = result["sources"][term]
            out.print(f"  {term}: gain {sd[term]['gain']} = rows {src['rows'] or 'none'}")
        carry_in, carry_out = sd["carryover_in"], sd["carryover_out"]
        out.print(f"  carryover in: short-term {carry_in['short_term']}, long-term {carry_in['long_term']}"
                  f" — {result['sources']['carryover_in']['rule']}")
        out.print(f"  net {sd['net']}, deduction {sd['deduction']}, carryover out: short-term "
                  f"{carry_out['short_term']}, long-term {carry_out['long_term']}")
    for trail in result["rows"]:
        row = trail["8949"]
        out.print(line((f"row {trail['row']}", "bold"), f": {row['description']} sold {row['date_sold']} "
                       f"gain {row['gain']} ({row['term']}, box {row['box']})"))
        method = trail["method"]
        label = method["method"] + (" (default)" if method.get("default") else "")
        out.print(f"  method: {label}")
        for e in trail["events"]:
            note = f" — {cap(e['note'])}" if e.get("note") else ""
            out.print(f"  seq {e['seq']} {e['type']} {local_time(e.get('at', ''), tz)} {short_key(e['key'])}{note}")
            if e["type"] in ("swap", "fee", "income") and "price" in e:  # valued from a price event (§4 Prices)
                p = e["price"]
                out.print(
                    "    no price within 24 hours: valued at 0" if p is None
                    else f"    valued {p['value']} at {p['usd']} USD per unit, price {short_key(p['key'])}"
                )
        reported = trail["wash_reported"]
        if reported is not None:
            out.print(f"  wash sale reported by the broker: {reported['amount']} (the sell's wash_disallowed "
                      f"{reported['wash_disallowed']}; not washed again in its own wallet)")
        for w in trail["wash_sale"]:
            loss, onto = short_key(w["loss_event"]), short_key(w["replacement_lot"])
            out.print(f"  wash sale: {w['amount']} from {loss} onto {onto} ({w['days_tacked']} days tacked)")
