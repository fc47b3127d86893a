"""CONTRACT §4 Prices: the `price` event, `import --format prices`, valuing a swap, fee or income that
leaves out `value` (projections/rules/prices.py), `--require-values`, and `explain` naming the price."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, Result, write_jsonl
from gainlog.ledger import codec, formats
from gainlog.ledger.errors import InvalidEvent, UsageError
from gainlog.projections.engine import book, income_rows
from gainlog.projections.rules.prices import PriceIndex
from helpers import records

Gainlog = Callable[..., Result]
UTC = ZoneInfo("UTC")
REAL = REPO / "fixtures" / "real"

BUY_BTC = {"type": "buy", "id": "b1", "at": "2024-01-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
           "price": "40000"}
PRICE = {"type": "price", "id": "p1", "at": "2024-03-01T00:00:00Z", "asset": "ETH", "usd": "3000.5"}
SWAP = {"type": "swap", "id": "s1", "at": "2024-03-01T18:00:00Z", "wallet": "w", "give_asset": "BTC",
        "give_qty": "0.25", "get_asset": "ETH", "get_qty": "4"}


def _swap_value(lines: list[dict[str, Any]]) -> tuple[Decimal, list[str]]:
    """The swap's proceeds (= the ETH lot's basis) and the problem codes, from a replay of `lines`."""
    booked = book(records(lines), tz=UTC)
    eth = [a for a in booked.acquisitions if a.asset == "ETH"]
    assert len(eth) == 1 and eth[0].basis == sum((s.proceeds for s in booked.slices), Decimal(0))
    return eth[0].basis, [p.code for p in booked.problems]


# -- the event --------------------------------------------------------------------------------


def test_a_price_event_decodes_and_has_a_canonical_body() -> None:
    line = '{"type": "price", "at": "2024-03-01", "asset": "BTC", "usd": "043000.120"}'
    event = codec.decode_line(line, tz=ZoneInfo("America/New_York"), where="t")
    assert codec.canonical_body(event) == b'{"asset":"BTC","at":"2024-03-01T17:00:00Z","type":"price","usd":"43000.12"}'
    fast = codec.decode_fast(b'{"type":"price","at":"2024-03-01T17:00:00Z","asset":"BTC","usd":"43000.12"}')
    assert fast is not None and fast.body == codec.canonical_body(event) and fast.tag == "price"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"usd": "0"}, "t: field 'usd': must be above zero"),
        ({"usd": "-5"}, "t: field 'usd': '-5' is not a plain decimal"),
        ({"asset": ""}, "t: field 'asset': must not be empty"),
        ({"usd": None}, "t: field 'usd': missing required field"),
    ],
)
def test_a_bad_price_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    raw = {k: v for k, v in {**PRICE, **change}.items() if v is not None}
    with pytest.raises(InvalidEvent) as caught:
        codec.decode_line(json.dumps(raw), tz=UTC, where="t")
    assert str(caught.value).startswith(message)
    assert codec.decode_fast(json.dumps(raw).encode()) is None


def test_value_left_out_keeps_the_body_of_events_that_have_one() -> None:
    """Schema evolution: `value` moved to the end with a default; a swap with value has the same body."""
    with_value = {**SWAP, "value": "12002", "fee": "3"}
    body = codec.canonical_body(codec.decode_line(json.dumps(with_value), tz=UTC, where="t"))
    assert body == (
        b'{"at":"2024-03-01T18:00:00Z","fee":"3","get_asset":"ETH","get_qty":"4","give_asset":"BTC",'
        b'"give_qty":"0.25","id":"s1","type":"swap","value":"12002","wallet":"w"}'
    )
    without = codec.decode_fast(json.dumps(SWAP).encode())
    assert without is not None and b'"value"' not in without.body
    assert without == codec.decoded(codec.decode_line(json.dumps(SWAP), tz=UTC, where="t"))


# -- the 24-hour window -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price_at", "expected", "codes"),
    [
        ("2024-03-01T18:00:00Z", Decimal("12002.0"), []),  # at the same instant: used
        ("2024-02-29T18:00:00Z", Decimal("12002.0"), []),  # exactly 24 hours old: used
        ("2024-02-29T17:59:59Z", Decimal(0), ["unpriced"]),  # one second older: not used
        ("2024-03-01T18:00:01Z", Decimal(0), ["unpriced"]),  # after the swap: never used
    ],
)
def test_the_24_hour_window_edges(price_at: str, expected: Decimal, codes: list[str]) -> None:
    value, problems = _swap_value([BUY_BTC, {**PRICE, "at": price_at}, SWAP])
    assert value == expected
    assert problems == codes


def test_the_latest_price_wins_and_other_assets_do_not_count() -> None:
    lines = [
        BUY_BTC,
        {**PRICE, "id": "p0", "at": "2024-03-01T06:00:00Z", "usd": "2900"},
        {**PRICE, "id": "p1", "at": "2024-03-01T12:00:00Z", "usd": "3000"},
        {**PRICE, "id": "p2", "at": "2024-03-01T20:00:00Z", "usd": "9999"},  # after the swap
        {**PRICE, "id": "pb", "asset": "BTC", "at": "2024-03-01T17:00:00Z", "usd": "60000"},  # the give side
        SWAP,
    ]
    assert _swap_value(lines) == (Decimal("12000"), [])


def test_unpriced_is_a_warning_naming_the_event() -> None:
    booked = book(records([BUY_BTC, SWAP]), tz=UTC)
    (problem,) = booked.problems
    assert problem.code == "unpriced" and problem.seq == 2
    assert problem.message == (
        "test:s1: swap of 4 ETH at 2024-03-01T18:00:00+00:00 has no value and no ETH price within the 24 hours "
        "before it; valued at 0"
    )


def test_income_and_fee_are_valued_from_their_own_asset() -> None:
    lines = [
        {"type": "price", "at": "2024-03-01T00:00:00Z", "asset": "SOL", "usd": "120.25"},
        {"type": "income", "id": "i1", "at": "2024-03-01T10:00:00Z", "wallet": "w", "asset": "SOL", "qty": "2",
         "kind": "staking"},
        {"type": "fee", "id": "f1", "at": "2024-03-01T11:00:00Z", "wallet": "w", "asset": "SOL", "qty": "0.5"},
    ]
    recs = records(lines)
    booked = book(recs, tz=UTC)
    assert [(a.kind, a.basis) for a in booked.acquisitions] == [("income", Decimal("240.50"))]
    assert [(s.kind, s.proceeds, s.basis) for s in booked.slices] == [("fee", Decimal("60.125"), Decimal("60.125"))]
    assert [r.value for r in booked.income] == [Decimal("240.50")]
    assert [r.value for r in income_rows(recs, tz=UTC)] == [Decimal("240.50")]  # the report's path
    assert booked.problems == ()


def test_the_index_is_pure_and_ties_go_to_the_later_recording() -> None:
    recs = records([{**PRICE, "id": "a", "usd": "1"}, {**PRICE, "id": "b", "usd": "2"}])
    quote = PriceIndex(recs).quote("ETH", recs[0].event.at)  # type: ignore[union-attr]
    assert quote is not None and (quote.usd, quote.key) == (Decimal(2), "test:b")


# -- the CLI: reports, --as-of, log, explain --------------------------------------------------


def _ledger(gainlog: Gainlog, tmp_path: Path, lines: list[dict[str, Any]], name: str = "events") -> Result:
    result = gainlog("import", str(write_jsonl(tmp_path / f"{name}.jsonl", lines)))
    assert result.code == 0, result.err
    return result


def _reports(gainlog: Gainlog, *extra: str) -> tuple[Any, Any]:
    rows = gainlog("report", "8949", "--year", "2024", "--json", *extra).json()
    schedule = gainlog("report", "schedule-d", "--year", "2024", "--json", *extra).json()
    return rows, schedule


def test_a_swap_valued_by_price_reports_as_the_same_swap_with_value(
    tmp_path: Path, gainlog: Gainlog, db: Path
) -> None:
    price = {**PRICE, "at": "2024-03-01T09:15:00Z", "usd": "3412.37"}
    _ledger(gainlog, tmp_path, [BUY_BTC, price, SWAP])
    priced = _reports(gainlog)
    other = tmp_path / "other.db"
    assert gainlog("init", ledger=other).code == 0
    explicit = {**SWAP, "value": str(Decimal("4") * Decimal("3412.37"))}  # 13649.48
    (tmp_path / "o").mkdir()
    same_name = write_jsonl(tmp_path / "o" / "events.jsonl", [BUY_BTC, price, explicit])  # the same keys
    assert gainlog("import", str(same_name), ledger=other).code == 0
    written = (
        gainlog("report", "8949", "--year", "2024", "--json", ledger=other).json(),
        gainlog("report", "schedule-d", "--year", "2024", "--json", ledger=other).json(),
    )
    assert priced == written
    (row,) = priced[0]
    assert (row["proceeds"], row["cost_basis"], row["gain"]) == ("13649.48", "10000.00", "3649.48")
    assert priced[1]["short_term"]["proceeds"] == "13649.48" and priced[1]["warnings"] == []


def test_as_of_before_the_price_was_recorded_is_unpriced(tmp_path: Path, gainlog: Gainlog) -> None:
    _ledger(gainlog, tmp_path, [BUY_BTC, SWAP], "first")  # seq 1-2
    _ledger(gainlog, tmp_path, [PRICE], "prices")  # seq 3
    rows, schedule = _reports(gainlog, "--as-of", "2")
    assert (rows[0]["proceeds"], rows[0]["gain"]) == ("0.00", "-10000.00")
    assert schedule["warnings"] == [
        "first.jsonl:s1: swap of 4 ETH at 2024-03-01T18:00:00+00:00 has no value and no ETH price within the "
        "24 hours before it; valued at 0"
    ]
    rows, schedule = _reports(gainlog)  # the head knows the price
    assert (rows[0]["proceeds"], rows[0]["gain"]) == ("12002.00", "2002.00")
    assert schedule["warnings"] == []


def test_log_shows_price_events(tmp_path: Path, gainlog: Gainlog) -> None:
    _ledger(gainlog, tmp_path, [BUY_BTC, PRICE, SWAP])
    logged = gainlog("log", "--json").json()
    assert [(e["type"], e.get("usd"), e.get("value")) for e in logged] == [
        ("buy", None, None), ("price", "3000.5", None), ("swap", None, None)
    ]
    text = gainlog("log").out
    assert "ETH 3000.5 USD" in text and "0.25 BTC -> 4 ETH value from prices (w)" in text


def test_add_price(gainlog: Gainlog) -> None:
    result = gainlog("add", "price", "--at", "2024-03-01", "--asset", "BTC", "--usd", "43000.12", "--json")
    assert result.code == 0, result.err
    (event,) = gainlog("log", "--json").json()
    assert {k: event[k] for k in ("type", "at", "asset", "usd", "key")} == {
        "type": "price", "at": "2024-03-01T12:00:00Z", "asset": "BTC", "usd": "43000.12", "key": result.json()["key"]
    }
    refused = gainlog("add", "price", "--at", "2024-03-01", "--asset", "BTC", "--usd", "0")
    assert (refused.code, refused.err) == (2, "gainlog: add: field 'usd': must be above zero\n")


def test_explain_names_the_price_used(tmp_path: Path, gainlog: Gainlog) -> None:
    lines = [
        {"type": "buy", "id": "e1", "at": "2024-01-05T12:00:00Z", "wallet": "w", "asset": "ETH", "qty": "4",
         "price": "2000"},
        PRICE,
        {**SWAP, "give_asset": "ETH", "give_qty": "1", "get_asset": "BTC", "get_qty": "0.05"},  # no BTC price
        {"type": "sell", "id": "x1", "at": "2024-06-01T12:00:00Z", "wallet": "w", "asset": "ETH", "qty": "4",
         "price": "3500"},
    ]
    swap_in = {**SWAP, "id": "s0", "at": "2024-03-01T10:00:00Z"}  # BTC -> 4 ETH, priced by p1
    _ledger(gainlog, tmp_path, [BUY_BTC, *lines, swap_in])
    result = gainlog("explain", "--year", "2024", "--json").json()
    entries = [e for row in result["rows"] for e in row["events"] if e["type"] == "swap"]
    by_id = {e["id"]: e.get("price", "absent") for e in entries}
    assert by_id["s0"] == {"usd": "3000.5", "key": "events.jsonl:p1", "at": "2024-03-01T00:00:00Z",
                           "value": "12002.0"}
    assert by_id["s1"] is None  # no BTC price: valued at 0
    text = gainlog("explain", "--year", "2024").out
    assert "valued 12002.0 at 3000.5 USD per unit, price events.jsonl:p1" in text
    assert "no price within 24 hours: valued at 0" in text


# -- import --require-values ------------------------------------------------------------------


def test_require_values_refuses_naming_the_line(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write_jsonl(tmp_path / "swaps.jsonl", [BUY_BTC, {**SWAP, "value": "1"}, {**SWAP, "id": "s2"}])
    result = gainlog("import", str(path), "--require-values")
    assert result.code == 2
    assert result.err == (
        f"gainlog: {path}:3: field 'value': --require-values: the swap has no value and no ETH price at or within "
        "the 24 hours before 2024-03-01T18:00:00+00:00 (in the log or the file); give a value or import a price "
        "first\n"
    )
    assert gainlog("log", "--json").json() == []


def test_require_values_accepts_a_price_in_the_file_or_the_log(tmp_path: Path, gainlog: Gainlog) -> None:
    in_file = write_jsonl(tmp_path / "a.jsonl", [BUY_BTC, PRICE, SWAP])
    assert gainlog("import", str(in_file), "--require-values").code == 0
    _ledger(gainlog, tmp_path, [{**PRICE, "id": "p9", "at": "2024-04-01T00:00:00Z"}], "later")
    in_log = write_jsonl(tmp_path / "b.jsonl", [{**SWAP, "id": "s9", "at": "2024-04-01T23:00:00Z"}])
    assert gainlog("import", str(in_log), "--require-values").code == 0
    stale = write_jsonl(tmp_path / "c.jsonl", [{**SWAP, "id": "s10", "at": "2024-04-02T00:00:01Z"}])
    refused = gainlog("import", str(stale), "--require-values")
    assert refused.code == 2 and refused.err.startswith(f"gainlog: {stale}:1: field 'value': --require-values:")
    assert gainlog("import", str(stale)).code == 0  # without the option: imported, valued 0 with a warning


def test_require_values_on_a_converted_export_names_the_csv_line(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "p.csv"
    path.write_text("date_or_time,asset,usd\n2024-03-01,BTC,60000\n")
    result = gainlog("import", str(path), "--format", "prices", "--require-values", "--json")
    assert result.code == 0 and result.json()["added"] == 1


# -- import --format prices -------------------------------------------------------------------


def _prices(name: str, *, asset: str | None = None, tz: str = "UTC") -> list[tuple[str, str, str]]:
    conversion = formats.convert("prices", REAL / name, tz=ZoneInfo(tz), asset=asset)
    return [
        (p.where.rsplit(":", 1)[1], p.event.asset, codec.canonical(p.event)["at"] + " " + format(p.event.usd, "f"))  # type: ignore[union-attr]
        for p in conversion.events
    ]


def test_the_plain_layout_field_by_field() -> None:
    assert _prices("prices.csv", tz="America/New_York") == [
        ("2", "BTC", "2024-03-01T17:00:00Z 61250.5"),  # a bare date: midday in the ledger's time zone
        ("3", "ETH", "2024-03-01T18:00:00Z 3441.07"),
        ("4", "BTC", "2024-03-02T14:30:00Z 62010.25"),  # an offset, a thousands separator
    ]


def test_the_yahoo_layout_uses_close_and_skips_null_days() -> None:
    conversion = formats.convert("prices", REAL / "prices_yahoo.csv", tz=UTC, asset="BTC")
    assert _prices("prices_yahoo.csv", asset="BTC") == [
        ("2", "BTC", "2024-03-01T12:00:00Z 62440.632813"),
        ("3", "BTC", "2024-03-02T12:00:00Z 62029.847656"),
    ]
    assert [(s.where.rsplit(":", 1)[1], s.reason) for s in conversion.skipped] == [("4", "unvalued")]


def test_the_coingecko_layout_field_by_field() -> None:
    assert _prices("prices_coingecko.csv", asset="ETH") == [
        ("2", "ETH", "2024-03-01T00:00:00Z 61174.00921736477"),
        ("3", "ETH", "2024-03-02T00:00:00Z 62387.9013227321"),
    ]


def test_a_download_needs_asset_and_the_plain_layout_refuses_it() -> None:
    with pytest.raises(UsageError, match="a yahoo price history names no asset: give --asset SYMBOL"):
        formats.convert("prices", REAL / "prices_yahoo.csv", tz=UTC)
    with pytest.raises(UsageError, match="--asset applies to a price download without an asset column"):
        formats.convert("prices", REAL / "prices.csv", tz=UTC, asset="BTC")
    with pytest.raises(UsageError, match="--asset applies to --format prices, not coinbase"):
        formats.convert("coinbase", REAL / "prices.csv", tz=UTC, asset="BTC")


def test_a_bad_price_row_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("date_or_time,asset,usd\n2024-03-01,BTC,1\n2024-03-32,BTC,2\n")
    with pytest.raises(InvalidEvent) as caught:
        formats.convert("prices", path, tz=UTC)
    assert str(caught.value) == f"{path}:3: column 'date_or_time': '2024-03-32' is not a time this format knows"
    path.write_text("date_or_time,asset,usd\n2024-03-01,BTC,0\n")
    with pytest.raises(InvalidEvent, match=r"p.csv:2: column 'usd': must not be zero"):
        formats.convert("prices", path, tz=UTC)


def test_import_detects_the_layouts_and_is_idempotent(tmp_path: Path, gainlog: Gainlog) -> None:
    result = gainlog("import", str(REAL / "prices_yahoo.csv"), "--asset", "BTC", "--json")
    assert result.code == 0, result.err
    assert "read as --format prices (detected from its header, line 1)" in result.err
    assert (result.json()["added"], result.json()["skipped"]) == (2, [
        {"line": f"{REAL / 'prices_yahoo.csv'}:4", "type": "no price", "reason": "unvalued"}
    ])
    again = gainlog("import", str(REAL / "prices_yahoo.csv"), "--format", "Prices", "--asset", "BTC", "--json")
    assert (again.code, again.json()["added"], again.json()["duplicates"]) == (0, 0, 2)
    assert gainlog("import", str(REAL / "prices.csv"), "--json").json()["added"] == 3
    logged = gainlog("log", "--json").json()
    assert [(e["type"], e["asset"], e["usd"]) for e in logged] == [
        ("price", "BTC", "62440.632813"), ("price", "BTC", "62029.847656"),
        ("price", "BTC", "61250.5"), ("price", "ETH", "3441.07"), ("price", "BTC", "62010.25"),
    ]


# -- checkpoints: a snapshot holds no prices --------------------------------------------------


def test_a_checkpoint_is_not_reused_for_a_tail_with_a_price_or_an_unvalued_trade() -> None:
    from datetime import UTC as utc
    from datetime import datetime

    from gainlog.projections import checkpoint as cp

    horizon = (datetime(2024, 1, 1, tzinfo=utc), 3)
    assert not cp.tail_qualifies(horizon, records([PRICE], start_seq=4))
    assert not cp.tail_qualifies(horizon, records([SWAP], start_seq=4))
    assert cp.tail_qualifies(horizon, records([{**SWAP, "value": "1"}], start_seq=4))


@pytest.mark.parametrize("tail", ["price", "swap"])
def test_a_report_after_a_checkpoint_values_the_swap(tmp_path: Path, gainlog: Gainlog, tail: str) -> None:
    first, second = ([BUY_BTC, SWAP], [PRICE]) if tail == "price" else ([BUY_BTC, PRICE], [SWAP])
    _ledger(gainlog, tmp_path, first, "first")
    assert gainlog("checkpoint", "--json").code == 0
    _ledger(gainlog, tmp_path, second, "second")
    rows, schedule = _reports(gainlog)
    assert (rows[0]["proceeds"], schedule["short_term"]["proceeds"]) == ("12002.00", "12002.00")
    assert schedule["warnings"] == []


def test_report_income_values_income_from_prices_and_warns_when_it_cannot(tmp_path: Path, gainlog: Gainlog) -> None:
    sol = {"type": "price", "id": "ps", "at": "2024-03-01T00:00:00Z", "asset": "SOL", "usd": "120.25"}
    staking = {"type": "income", "id": "i1", "at": "2024-03-01T10:00:00Z", "wallet": "w", "asset": "SOL",
               "qty": "2", "kind": "staking"}
    late = {**staking, "id": "i2", "at": "2024-03-05T10:00:00Z"}
    _ledger(gainlog, tmp_path, [sol, staking, late])
    report = gainlog("report", "income", "--year", "2024", "--json").json()
    assert (report["total"], [r["value"] for r in report["rows"]]) == ("240.50", ["240.50", "0.00"])
    assert report["warnings"] == [
        "events.jsonl:i2: income of 2 SOL at 2024-03-05T10:00:00+00:00 has no value and no SOL price within the "
        "24 hours before it; valued at 0"
    ]
    assert "warning: events.jsonl:i2: income of 2 SOL" in gainlog("report", "income", "--year", "2024").out


def test_a_price_history_adds_no_year_to_report_all(tmp_path: Path, gainlog: Gainlog) -> None:
    old = {**PRICE, "id": "p-2019", "at": "2019-06-01T00:00:00Z"}
    _ledger(gainlog, tmp_path, [old, BUY_BTC, PRICE, SWAP])
    assert gainlog("report", "all", "--out", str(tmp_path / "out")).code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == ["2024"]


def test_require_values_names_a_converted_row_by_its_csv_line(tmp_path: Path) -> None:
    """A converted export's events are checked with the `FILE:LINE` of the row they came from."""
    from gainlog.api.checks import Checks, RequireValues, lot_references
    from gainlog.ledger.importer import Parsed
    from gainlog.ledger.store import Store

    csv = tmp_path / "x.csv"
    parsed = [Parsed(f"{csv}:{n}", codec.decode_line(json.dumps(raw), tz=UTC, where="t"))
              for n, raw in ((2, BUY_BTC), (5, SWAP))]
    where = {p.event: p.where for p in parsed}
    with Store.create(tmp_path / "l.db") as store:
        check = Checks(lot_references(store, origin=csv), RequireValues(store, origin=csv, where_of=where.__getitem__))
        with pytest.raises(InvalidEvent) as caught:
            store.import_events(parsed, source="x.csv", origin=str(csv), check=check)
        assert str(caught.value).startswith(f"{csv}:5: field 'value': --require-values: the swap has no value")
        assert store.last_seq() == 0
        priced = [Parsed(f"{csv}:1", codec.decode_line(json.dumps(PRICE), tz=UTC, where="t")), *parsed]
        assert store.import_events(priced, source="x.csv", origin=str(csv), check=check).last_seq == 3
