"""An Awaab's Law case handled in real headless Chromium (Debian's), on each database: a
resident reports black mould under Repairs through the sandbox; an officer classifies it
as a damp and mould hazard, records the investigation and sends the written summary, and
sees each deadline move to the next stage; the resident gets the summary in the chat.

Held on Wednesday 29 April 2026, noon in London. The dates, counted by hand on England's
2026 calendar (Monday 4 May is a bank holiday): investigate by Thursday 14 May (10 working
days); once investigated that day, the summary by Tuesday 5 May (3), the safety work by
Thursday 7 May (5), the preventive works started by Wednesday 22 July (12 weeks).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.async_api import Locator, Page, async_playwright, expect
from sqlalchemy import select

from bot.models import Feedback, HazardStep
from tests.feedback.web.test_casework_browser import (
    TIMEOUT_MS,
    _submit,
    dashboard_officer,
    log_in,
)
from tests.journeys import begin_report, onboard, review_report, send_report, texts
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.staff.test_telegram import PROACTIVE
from tests.support.harness import BotHarness

pytestmark = [pytest.mark.browser, pytest.mark.no_quiet_hours]
LONDON = ZoneInfo("Europe/London")


def clock_row(page: Page, name: str) -> Locator:
    return page.locator("table.clocks tr").filter(has_text=name)


@time_machine.travel(datetime(2026, 4, 29, 12, 0, tzinfo=LONDON), tick=True)
async def test_an_officer_takes_a_damp_and_mould_case_through_its_stages(
    doorstep: BotHarness, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    await dashboard_officer(doorstep, "Sam Officer", "sam")
    ann = doorstep.user(first_name="Ann")
    await onboard(ann, name="Ann Example")
    await begin_report(ann, "Repairs")
    await ann.send("Black mould in the bedroom, behind the wardrobe.")
    await ann.wait_for_text("press Continue")
    await review_report(ann, share_name=True)
    reference, _ = await send_report(ann)

    base = doorstep.runtime.web_url.rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (
                await browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
            ).new_page()
            await log_in(page, base, "sam")
            await page.get_by_role("link", name=reference).click()
            await expect(page.get_by_role("heading", name=reference)).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.locator("#hazard-case + p")).to_contain_text(
                "Not classified as a hazard"
            )

            # A reason is needed: the form says so, and keeps the choice.
            await page.get_by_label("Classify as").select_option(
                label="Significant damp and mould hazard"
            )
            await page.get_by_label("Why").fill("Resident describes black mould in a bedroom.")
            await _submit(page, "/hazard", "Record the classification")
            await expect(page.get_by_role("status")).to_contain_text("classification is recorded")
            investigate = clock_row(page, "Investigate (Awaab's Law, 10 working days)")
            await expect(investigate).to_contain_text("2026-05-14")
            await expect(investigate).to_contain_text("running")

            # The investigation: the next stages' clocks start from today.
            await page.get_by_label("Step done").select_option(label="Investigation concluded")
            await _submit(page, "/hazard/step", "Record the step")
            await expect(page.get_by_role("status")).to_contain_text("investigation is recorded")
            await expect(investigate).to_contain_text("in time")
            summary = clock_row(page, "Written summary to the resident")
            await expect(summary).to_contain_text("2026-05-05")
            await expect(summary).to_contain_text("running")
            await expect(clock_row(page, "Safety work done")).to_contain_text("2026-05-07")
            await expect(clock_row(page, "Preventive works started")).to_contain_text("2026-07-22")

            # A time in the future is refused, and nothing typed is lost.
            await page.get_by_label("Step done").select_option(
                label="Made safe / relevant safety work done"
            )
            await page.get_by_label("Done at").fill("2026-05-02T09:00")
            await _submit(page, "/hazard/step", "Record the step")
            await expect(page.get_by_role("alert")).to_contain_text("in the future")
            await expect(page.get_by_label("Done at")).to_have_value("2026-05-02T09:00")

            words = "We found mould behind the wardrobe. A specialist treats it by 7 May."
            await page.get_by_label("Written summary of the investigation").fill(words)
            await _submit(page, "/hazard/summary", "Send the summary")
            await expect(page.get_by_role("status")).to_contain_text("written summary")
            await expect(summary).to_contain_text("in time")
            told = texts(await ann.wait_for_text(words, timeout=PROACTIVE))
            assert f"Written summary of our investigation into {reference}" in told
            await expect(page.locator("table.hazard-steps")).to_contain_text(
                "Resident describes black mould in a bedroom."
            )
            assert await page.locator("main script").count() == 0
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-hazard-{backend}.png"), full_page=True
            )
            # The hazards tile on the home page: one case, its nearest deadline.
            await page.goto(f"{base}/")
            await expect(page.get_by_role("link", name="1 open hazard case")).to_contain_text(
                "next deadline 2026-05-07"
            )
        finally:
            await browser.close()
    async with doorstep.sessions() as db:
        report = await db.scalar(select(Feedback).where(Feedback.reference == reference))
        assert report is not None
        steps = (
            await db.scalars(select(HazardStep.step).where(HazardStep.feedback_id == report.id))
        ).all()
    assert report.hazard_kind == "damp_mould"
    assert list(steps) == ["classified", "investigated", "summary_sent"]
