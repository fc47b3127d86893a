"""`report html` opened in a real browser: headless Chromium (the distribution's `chromium`, which
.ci/run installs when it is missing) renders the sample ledger's page, with the network off. The
ledger is the bundled sample with its year-end prices (fixtures/sample/prices.jsonl), so the open
lots show their unrealized gain.

The page's text is read from the DOM Chromium builds (`--dump-dom`), and a screenshot shows each of
the four chart regions drawn (not blank). The chart regions' places come from a copy of the page
whose one added script writes `getBoundingClientRect()` of each into the title (the layout is the
same: the title is not drawn). `GAINLOG_SCREENSHOT=PATH` keeps the screenshot (docs/report-html.png
is made so). Skipped, saying why, where there is no Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample" / "events.jsonl"
PRICES = ROOT / "fixtures" / "sample" / "prices.jsonl"  # year-end prices: the unrealized gain
WIDTH, HEIGHT = 1200, 2000
CHARTS = ("carryover", "months", "proceeds", "lots")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


pytestmark = pytest.mark.skipif(chromium() is None, reason="no chromium on PATH (Debian: apt-get install chromium)")


def run_chromium(page: Path, profile: Path, *args: str) -> str:
    """Chromium headless on `page` with the network and every background service off; stdout."""
    command = [
        chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1",
        "--hide-scrollbars", *args, page.as_uri(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


RECTS = """<script>
document.title = JSON.stringify(Object.fromEntries([...document.querySelectorAll('div.chart')].map(
  d => { const r = d.getBoundingClientRect(); return [d.id, [r.left, r.top, r.right, r.bottom]]; })));
</script></body>"""


@pytest.fixture
def page(db: Path, gainlog: Callable[..., Result], tmp_path: Path) -> Path:
    assert gainlog("import", str(SAMPLE)).code == 0 and gainlog("import", str(PRICES)).code == 0
    out = tmp_path / "2024.html"
    assert gainlog("report", "html", "--year", "2024", "--out", str(out)).code == 0
    return out


def test_chromium_shows_the_text_and_draws_every_chart(page: Path, tmp_path: Path) -> None:
    from PIL import Image

    dom = run_chromium(page, tmp_path / "profile", "--dump-dom")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))
    for expected in ("2024 at a glance", "Schedule D summary", "Carryover chain", "Realized gain by month",
                     "Proceeds by wallet and asset", "Open lots on December 31, 2024", "2121.44", "-9585.84",
                     "17730.00", "kraken", "ledger-nano", "short-term", "long-term", "market value",
                     "Unrealized gain or (loss) of the priced lots: 31099.94"):
        assert expected in text, expected
    assert dom.count("<svg") == 4

    measured = tmp_path / "measured.html"
    measured.write_text(page.read_text().replace("</body>", RECTS))
    title = re.search(r"<title>(.*?)</title>", run_chromium(measured, tmp_path / "profile", "--dump-dom"))
    assert title
    rects = json.loads(title.group(1).replace("&quot;", '"'))
    assert sorted(rects) == sorted(f"chart-{name}" for name in CHARTS)

    shot = Path(os.environ.get("GAINLOG_SCREENSHOT") or tmp_path / "shot.png")
    run_chromium(page, tmp_path / "profile", f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    for name in CHARTS:
        left, top, right, bottom = (round(v) for v in rects[f"chart-{name}"])
        assert 0 <= left < right <= WIDTH and 0 <= top < bottom <= HEIGHT, (name, rects)  # inside the shot
        region = image.crop((left + 3, top + 3, right - 3, bottom - 3))
        colours = region.getcolors(maxcolors=1 << 20) or []
        drawn = sum(n for n, colour in colours if colour != (255, 255, 255))
        assert len(colours) > 20, (name, len(colours))  # bars, guides, anti-aliased labels: not one flat fill
        assert drawn > 0.03 * region.width * region.height, (name, drawn)
