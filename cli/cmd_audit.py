"""`gainlog diff` and `gainlog explain`: audit a past year (CONTRACT §1).

`diff` replays the year at two knowledge points and compares the contract's own outputs;
`explain` lists the events behind each number. Both are read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.app import AsOfOpt, JsonOpt, State, YearOpt, app, console, emit_json

if TYPE_CHECKING:
    from cli.usecases import Loaded

FromOpt = Annotated[str, typer.Option("--from", help="Knowledge point before: seq, tag or @time.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Knowledge point after (default: the head).")]
RowOpt = Annotated[int | None, typer.Option("--row", help="One 8949 row, counted from 1 in form order.")]


def _year_reports(loaded: Loaded, year: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from projections.reports import form8949_json, schedule_d_json

    ty = loaded.tax_years(through=year)
    sd = ty.years[year]
    report = schedule_d_json(sd)
    if sd.empty:  # a year in which no event can fall (`--year 2030`): say so
        report["warnings"] = [*report["warnings"], sd.empty]
    return report, form8949_json(ty.rows_of(year))


def _event_line(record: Any) -> dict[str, Any]:
    from ledger.codec import canonical

    return {"seq": record.seq, "key": record.key, "source": record.source,
            "recorded_at": record.recorded_at.isoformat().replace("+00:00", "Z"), **canonical(record.event)}


def year_diff(year: int, from_point: str, to_point: str | None) -> dict[str, Any]:
    """The contract's `diff --json` value, plus the events recorded in between (`events`)."""
    from cli.usecases import load
    from projections.diff import year_diff as diff

    before = load(State.db, from_point, option="--from")
    after = load(State.db, to_point, option="--to")
    result = diff(year, _point(from_point, before), _point(to_point, after),
                  _year_reports(before, year), _year_reports(after, year))
    lo, hi = sorted((before.seq, after.seq))
    result["events"] = [_event_line(r) for r in after.store.read(after=lo, until=hi)]
    return result


def _point(point: str | None, loaded: Loaded) -> Any:
    """The knowledge point as the user named it (an int for a seq; the head's seq for none)."""
    if point is None:
        return loaded.seq
    return int(point) if point.isdigit() else point


@app.command("diff")
def diff_command(year: YearOpt, from_point: FromOpt, to_point: ToOpt = None, json_out: JsonOpt = False) -> None:
    """What changed in a year's results between two knowledge points, and which events caused it."""
    result = year_diff(year, from_point, to_point)
    if json_out:
        emit_json(result)
    else:
        _print_diff(result, _ledger_zone())


def explain_year(year: int, as_of: str | None, row: int | None) -> dict[str, Any]:
    """The events behind each 8949 row of a year (or one row) and behind its Schedule D."""
    from cli.usecases import load
    from ledger.errors import UsageError
    from projections.explain import trails, year_facts
    from projections.knowledge import live

    loaded = load(State.db, as_of)
    known = live(loaded.records)
    schedule_d, rows = _year_reports(loaded, year)
    row_trails = trails(loaded.booked, known, year)
    key_to_record = {r.key: r for r in known}
    for trail, form_row in zip(row_trails, rows, strict=True):
        trail["8949"] = form_row
        trail["events"] = [
            _event_line(key_to_record[k])
            for k in [trail["disposal"], trail["acquisition"], *trail["transfers"]]
            if k is not None and k in key_to_record
        ]
    if row is not None:
        if not 1 <= row <= len(row_trails):
            raise UsageError(f"--row {row}: {year} has {len(row_trails)} Form 8949 rows (count from 1)")
        return {"year": year, "as_of": loaded.seq, "rows": [row_trails[row - 1]]}
    facts = year_facts(known, year)
    short = [t["row"] for t in row_trails if t["8949"]["term"] == "short"]
    long = [t["row"] for t in row_trails if t["8949"]["term"] == "long"]
    return {
        "year": year,
        "as_of": loaded.seq,
        "schedule_d": schedule_d,
        "sources": {
            "short_term": {"rows": short, "rule": "sum of the cent-rounded short-term 8949 rows (R5.1)"},
            "long_term": {"rows": long, "rule": "sum of the cent-rounded long-term 8949 rows (R5.1)"},
            "carryover_in": (
                {"events": facts["carryover_events"], "rule": "a carryover event replaces the computed amount (R5.4)"}
                if facts["carryover_events"]
                else {"from_year": year - 1, "rule": "Capital Loss Carryover Worksheet of the year before (R5.3)"}
            ),
            "filing_status": {
                "events": facts["profile_events"],
                "default": facts["filing_status_year"] is None,
                "from_year": facts["filing_status_year"],
            },
            "deduction": {"rule": "min(|line 16|, 3,000; 1,500 if mfs) when line 16 is a loss (R5.2)"},
        },
        "rows": row_trails,
    }


@app.command("explain")
def explain_command(year: YearOpt, row: RowOpt = None, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """The events behind each number: acquisitions, transfers, wash-sale adjustments, the method."""
    result = explain_year(year, as_of, row)
    if json_out:
        emit_json(result)
    else:
        _print_explain(result, _ledger_zone())


def _ledger_zone() -> Any:
    """The ledger's time zone, in which people read event times (JSON keeps RFC 3339 UTC)."""
    from ledger.store import Store

    with Store.open(State.db) as store:
        return store.timezone


# -- rendering for people --------------------------------------------------------------------


def _print_diff(result: dict[str, Any], tz: Any) -> None:
    from cli.render import line, local_time, number_column, number_table, short_key
    from projections.diff import changed_amounts

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
        out.print(table)
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
            out.print(table)
    if result["events"]:
        out.print("Events recorded in between:")
        for e in result["events"]:
            when = local_time(e.get("at", ""), tz)
            what = f"retract {short_key(e['target'])}" if e["type"] == "retract" else f"{e['type']} {when}"
            out.print(f"  seq {e['seq']}  {what}  {short_key(e['key'])}")


def _print_explain(result: dict[str, Any], tz: Any) -> None:
    from cli.render import cap, line, local_time, printer, short_key

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
        for w in trail["wash_sale"]:
            loss, onto = short_key(w["loss_event"]), short_key(w["replacement_lot"])
            out.print(f"  wash sale: {w['amount']} from {loss} onto {onto} ({w['days_tacked']} days tacked)")
