"""R6.1–R6.2 Form 8949 box selection."""

from datetime import date

from gainlog.projections.rules.form_box import box, part_of, wallet_reports
from helpers import records


def test_stock_defaults_to_1099_b() -> None:
    # R6.2 [choice]: a stock wallet files 1099-B unless a wallet event says none
    assert box(asset_class="stock", term="short", covered=True, year=2024, reports=None) == "A"
    assert box(asset_class="stock", term="long", covered=True, year=2024, reports=None) == "D"
    assert box(asset_class="stock", term="short", covered=False, year=2024, reports=None) == "B"
    assert box(asset_class="stock", term="long", covered=False, year=2025, reports=None) == "E"


def test_stock_wallet_reporting_none() -> None:
    # R6.1: C/F not crypto and no 1099
    assert box(asset_class="stock", term="short", covered=True, year=2024, reports="none") == "C"
    assert box(asset_class="stock", term="long", covered=False, year=2025, reports="none") == "F"


def test_crypto_before_2025_uses_c_f() -> None:
    # R6.1: before tax year 2025 crypto uses C/F, whatever the wallet reports
    assert box(asset_class="crypto", term="short", covered=False, year=2024, reports=None) == "C"
    assert box(asset_class="crypto", term="long", covered=False, year=2024, reports="1099-DA") == "F"


def test_crypto_from_2025_without_1099_uses_i_l() -> None:
    # R6.1/R6.2: from 2025 I/L unless the account files 1099-DA
    assert box(asset_class="crypto", term="short", covered=False, year=2025, reports=None) == "I"
    assert box(asset_class="crypto", term="long", covered=False, year=2025, reports="none") == "L"


def test_crypto_1099_da() -> None:
    # R6.1: G/J basis reported, H/K basis not reported
    assert box(asset_class="crypto", term="short", covered=True, year=2026, reports="1099-DA") == "G"
    assert box(asset_class="crypto", term="long", covered=True, year=2026, reports="1099-DA") == "J"
    assert box(asset_class="crypto", term="short", covered=False, year=2025, reports="1099-DA") == "H"
    assert box(asset_class="crypto", term="long", covered=False, year=2025, reports="1099-DA") == "K"


def test_parts() -> None:
    # R6.1: Part I short, Part II long
    assert (part_of("short"), part_of("long")) == ("I", "II")


def test_wallet_setting_in_force_on_the_sale_date() -> None:
    # CONTRACT §2: latest `from` on or before the date wins, then highest seq; no `from` = beginning
    log = records(
        [
            {"type": "wallet", "wallet": "cb", "reports": "1099-DA", "from": "2025-07-01"},
            {"type": "wallet", "wallet": "cb", "reports": "none"},
            {"type": "wallet", "wallet": "cb", "reports": "1099-B", "from": "2025-07-01"},
            {"type": "wallet", "wallet": "cb", "from": "2025-09-01"},
        ]
    )
    w = wallet_reports(log)
    assert w.reports("cb", date(2025, 6, 30)) == "none"
    assert w.reports("cb", date(2025, 7, 1)) == "1099-B"  # same from: the higher seq
    assert w.reports("cb", date(2025, 10, 1)) == "1099-B"  # a wallet event without reports inherits
    assert w.reports("other", date(2025, 10, 1)) is None
