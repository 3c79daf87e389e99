"""The social impact report page and its CSV over real HTTP on each database, and in Chromium."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import (
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    async_playwright,
    expect,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import ConfigError, load_settings
from bot.models import AuditEntry, Feedback, Neighbourhood, Resident
from bot.reports.period import last_full_quarter
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.charts import chart_on
from tests.support.web import AXE_OPTIONS, PASSWORDS, Web, WebFactory

Sessions = async_sessionmaker[AsyncSession]
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
PERIOD = "from=2026-06-01&to=2026-08-31"
TIMEOUT_MS = 10_000


async def fill(sessions: Sessions) -> None:
    """Two neighbourhoods with awkward names, residents, reports and a complaint in summer 2026."""
    moment = datetime(2026, 7, 1, 9, tzinfo=UTC)
    async with sessions.begin() as db:
        odd = Neighbourhood(code="odd", name=SCRIPT)
        sums = Neighbourhood(code="sums", name=FORMULA)
        db.add_all([odd, sums])
        await db.flush()
        for number in range(12):
            area = odd if number < 6 else sums
            resident = Resident(
                telegram_user_id=500 + number,
                chat_id=500 + number,
                neighbourhood_id=area.id,
                consented_at=moment,
            )
            db.add(resident)
            await db.flush()
            db.add(
                Feedback(
                    reference=f"FB-2026-{number + 1:05d}",
                    resident_id=resident.id,
                    neighbourhood_id=area.id,
                    category="repairs" if number % 2 else "damp_mould",
                    description="words",
                    received_at=moment + timedelta(hours=number),
                    acknowledged_at=moment + timedelta(hours=number + 2),
                    is_complaint=number < 6,
                    complaint_stage=1 if number < 6 else None,
                    status="acknowledged",
                )
            )


async def test_viewers_see_the_report_with_charts_and_escaped_names(
    web: Web, sessions: Sessions
) -> None:
    await fill(sessions)
    viewer = await web.logged_in("viewer")
    response = await viewer.get(f"/report?{PERIOD}")
    assert response.status == 200
    html = await response.text()
    assert "Social impact and compliance report" in html
    assert "1 June 2026 to 31 August 2026" in html
    # Charts drawn as inline SVG: residents, category, outcome, CH02, five Awaab's Law stages,
    # the event ratings, the five trends, and social value's participation and its trend.
    assert html.count("<svg") == 17
    # The headline tiles: this period (June to August) against March to May, in words.
    tile = re.search(
        r'<li class="headline-tile change-up" id="tile-reports">(.*?)</li>', html, re.S
    )
    assert tile, "no tile for reports opened"
    words = re.sub(r"<[^>]+>", "", tile.group(1))
    assert "Reports opened" in words and "12" in words and "Previous period: 0" in words
    assert "+12" in words and "Up on the previous period" in words
    assert "1 March 2026 to 31 May 2026" in html
    trend = chart_on(html, "trend-reports")
    assert trend.title == "Reports opened, month by month"
    assert "July 2026: 12" in trend.desc and "September 2025: 0" in trend.desc
    assert ("July 2026", "12") in trend.rows
    # Complaints were acknowledged, not answered: no share, so no comparison.
    in_time = re.search(r'id="tile-complaints-in-time">(.*?)</li>', html, re.S)
    assert in_time and "Not compared" in in_time.group(1)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    chart = re.search(
        r'<div class="chart" id="chart-registered-residents-by-neighbourhood">.*?</svg>', html, re.S
    )
    assert chart and "&lt;script&gt;" in chart.group(0)
    # Full width, named by its visible title, described by a text listing every figure.
    assert 'width="100%"' in chart.group(0) and 'role="img"' in chart.group(0)
    assert 'aria-labelledby="chart-registered-residents-by-neighbourhood-title"' in chart.group(0)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", chart.group(0), re.S)
    assert desc and desc.group(1) == (
        "&lt;script&gt;alert(1)&lt;/script&gt;: 6; =HYPERLINK(&#34;http://x&#34;,&#34;y&#34;): 6; "
        "No neighbourhood: 0."
    )
    assert len(set(re.findall(r' id="([^"]+)"', html))) == len(re.findall(r' id="', html))
    # Homes unknown: CH01 says what to do instead of a figure.
    assert "set the number of homes" in html
    assert "Download the figures (CSV)" in html


async def test_the_default_period_is_the_last_full_quarter(web: Web) -> None:
    viewer = await web.logged_in("viewer")
    html = await (await viewer.get("/report")).text()
    expected = last_full_quarter(datetime.now(UTC).date())
    assert f'value="{expected.start.isoformat()}"' in html
    assert f'value="{expected.end.isoformat()}"' in html


async def test_ch01_uses_the_number_of_homes_from_the_settings(
    web_factory: WebFactory, sessions: Sessions
) -> None:
    web = await web_factory(homes=3000)
    await fill(sessions)
    admin = await web.logged_in("admin")
    html = await (await admin.get(f"/report?{PERIOD}")).text()
    assert "set the number of homes" not in html
    # Six stage 1 complaints for 3,000 homes: 2.0 per 1,000.
    assert re.search(r"Stage 1</th><td class=\"num\">6</td><td class=\"num\">2.0</td>", html)


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-02-30&to=2026-03-01",
        "from=2026-05-01&to=2026-04-01",
        "from=2026-05-01",
        f"from={SCRIPT}&to=2026-01-01",
        "from=" + "9" * 5000 + "&to=2026-01-01",
    ],
)
async def test_a_bad_period_is_a_plain_400(web: Web, query: str) -> None:
    viewer = await web.logged_in("viewer")
    page = await viewer.get(f"/report?{query}")
    assert page.status == 400
    html = await page.text()
    assert 'role="alert"' in html and "<script>alert" not in html
    download = await viewer.get(f"/report.csv?{query}")
    assert download.status == 400
    assert download.headers["Content-Type"].startswith("text/plain")


async def test_anonymous_users_are_sent_to_log_in(web: Web) -> None:
    client = await web.client()
    for path in ("/report", "/report.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status in (302, 303), path
        assert response.headers["Location"].startswith("/login")


async def test_the_csv_has_the_figures_formula_safe_and_is_audited(
    web: Web, sessions: Sessions
) -> None:
    await fill(sessions)
    viewer = await web.logged_in("viewer", "vera")
    response = await viewer.get(f"/report.csv?{PERIOD}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "doorstep-report-2026-06-01-to-2026-08-31.csv" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["section", "item", "figure"]
    figures = {(section, item): figure for section, item, figure in rows[1:]}
    assert figures[("Period", "From")] == "2026-06-01"
    assert figures[("Registered residents by neighbourhood", SCRIPT)] == "6"
    # The neighbourhood whose name is a formula is text to a spreadsheet.
    assert figures[("Registered residents by neighbourhood", "'" + FORMULA)] == "6"
    assert figures[("Feedback by category", "Total")] == "12"
    assert figures[("Complaints stage 1", "CH01 received")] == "6"
    assert figures[("Complaints stage 1", "CH01 per 1,000 homes")] == "set the number of homes"
    assert figures[("Hours to acknowledge", "Median")] == "2.0"
    assert figures[("Trends", "Reports opened: this period")] == "12"
    assert figures[("Trends", "Reports opened: previous period")] == "0"
    assert figures[("Trends", "Reports opened: change")] == "'+12"  # formula-safe
    assert figures[("Trends", "Reports opened: 2026-07")] == "12"
    assert figures[("Trends", "Residents active: 2026-07")] == "12"
    assert figures[("Trends", "Complaints answered in time: 2026-07")] == "none"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    async with sessions() as db:
        entry = (
            await db.scalars(select(AuditEntry).where(AuditEntry.action == "report.exported"))
        ).one()
    assert entry.actor == "web:vera"
    assert entry.details == {"from": "2026-06-01", "to": "2026-08-31"}


async def charts_readable(page: Page, problems: list[str]) -> None:
    """Each chart as wide as its box, the box as wide as its section's content or at least
    300 px (side by side on a wide screen, never squeezed below a phone's width), every
    word in it at least 14 px tall on screen, and nothing drawn past its right edge."""
    found = await page.evaluate(
        """() => [...document.querySelectorAll('.chart svg')].map(svg => {
            const box = svg.getBoundingClientRect();
            const section = svg.closest('section');
            const style = getComputedStyle(section);
            const room = section.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            const texts = [...svg.querySelectorAll('text')].map(t => [
                parseFloat(getComputedStyle(t).fontSize), t.getBoundingClientRect().right]);
            const own = svg.closest('.chart').clientWidth;
            return {width: box.width, right: box.right, own, room, texts};
        })"""
    )
    assert found
    for chart in found:
        if abs(chart["width"] - chart["own"]) > 1 or chart["width"] < min(chart["room"] - 1, 300):
            problems.append(f"chart {chart['width']} px wide in {chart['room']} px of room")
        for size, right in chart["texts"]:
            if size < 14 or right > chart["right"] + 1:
                problems.append(f"chart text {size} px, right edge {right} > {chart['right']}")


@pytest.mark.browser
async def test_the_report_in_chromium_on_screen_and_in_print(
    web: Web, sessions: Sessions, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    await fill(sessions)
    await web.user("viewer", "vic")
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = str(web.server.make_url("/")).rstrip("/")
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-GB")
            # Chromium asks every site for /favicon.ico; the dashboard has none (404).

            def console(message: ConsoleMessage) -> None:
                if message.type == "error" and not message.location.get("url", "").endswith(
                    "/favicon.ico"
                ):
                    problems.append(f"{message.text} {message.location}")

            def page_error(error: Error) -> None:
                problems.append(str(error))

            def dialog(opened: Dialog) -> None:
                problems.append(opened.message)

            page.on("console", console)
            page.on("pageerror", page_error)
            page.on("dialog", dialog)
            await page.goto(f"{base}/login")
            await page.get_by_label("Username").fill("vic")
            await page.get_by_label("Password").fill(PASSWORDS["viewer"])
            await page.get_by_role("button", name="Log in").click()
            await page.get_by_role("link", name="Report").click()
            await expect(
                page.get_by_role("heading", name="Social impact and compliance report")
            ).to_be_visible(timeout=TIMEOUT_MS)
            await page.get_by_label("From").fill("2026-06-01")
            await page.get_by_label("To").fill("2026-08-31")
            await page.get_by_role("button", name="Show").click()
            await expect(page.locator(".chart svg")).to_have_count(17, timeout=TIMEOUT_MS)
            # The headline tiles and the trends: named, described, the figures a keypress away.
            tiles = page.locator(".headline-tile")
            await expect(tiles).to_have_count(5)
            await expect(page.locator("#tile-reports")).to_contain_text("Up on the previous period")
            trend = page.get_by_role("img", name="Reports opened, month by month")
            await expect(trend).to_be_visible()
            figures = page.locator("#chart-trend-reports summary")
            await figures.focus()
            await page.keyboard.press("Enter")
            await expect(page.locator("#chart-trend-reports-figures")).to_be_visible()
            await expect(
                page.locator("#chart-trend-reports-figures tr", has_text="July 2026")
            ).to_contain_text("12")
            results = await Axe().run(page, options=AXE_OPTIONS)
            problems.extend(
                f"axe: {v['id']}: {[n['target'] for n in v['nodes']]}"
                for v in results.response["violations"]
            )
            bars = page.locator(".chart svg rect")
            assert await bars.count() > 0
            await charts_readable(page, problems)
            await expect(
                page.get_by_role("img", name="Registered residents by neighbourhood")
            ).to_be_visible()
            await expect(page.locator("svg text").filter(has_text=SCRIPT).first).to_be_attached()
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-report-{backend}.png"), full_page=True
            )
            await page.emulate_media(media="print")
            assert not await page.locator("header.top").is_visible()
            assert not await page.locator("form.filters").is_visible()
            await expect(page.locator(".chart svg").first).to_be_visible()
            await expect(tiles.first).to_be_visible()
            await expect(trend).to_be_visible()
            adjust = await page.evaluate(
                "getComputedStyle(document.querySelector('.headline-tile')).printColorAdjust"
            )
            assert adjust == "exact", adjust
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-report-print-{backend}.png"), full_page=True
            )
            await page.emulate_media(media="screen")
            await page.set_viewport_size({"width": 390, "height": 844})
            await expect(page.locator(".chart svg").first).to_be_visible()
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 400, width
            await charts_readable(page, problems)
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-report-phone.png"), full_page=True
                )
        finally:
            await browser.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("raw", "homes"), [("", None), ("2500", 2500), (" 12000 ", 12000)])
def test_the_number_of_homes_setting(monkeypatch: pytest.MonkeyPatch, raw: str, homes: int) -> None:
    monkeypatch.setenv("HOMES", raw)
    assert load_settings(_env_file=None).homes == homes


@pytest.mark.parametrize("raw", ["0", "-5", "many", "1.5"])
def test_a_bad_number_of_homes_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("HOMES", raw)
    with pytest.raises(ConfigError, match="HOMES"):
        load_settings(_env_file=None)
