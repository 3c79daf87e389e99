"""The settings page's mistakes, the GOV.UK way, over real HTTP on each database: every
field is checked at once, each mistake is beside its field (described by it, marked
invalid) and listed in a summary at the top that links to the field, everything typed
stays, and nothing is saved; in Chromium the summary's links move focus to the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import AssociationSettings, AuditEntry
from tests.association.test_service import FORM
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import PASSWORDS, Web, page_token

Sessions = async_sessionmaker[AsyncSession]
TIMEOUT_MS = 10_000


def field_group(html: str, name: str) -> str:
    """The markup of one field's group (label, hint, mistake and the field)."""
    found = re.search(
        rf'<div class="field[^"]*">\s*<label for="{name}">.*?</div>', html, flags=re.DOTALL
    )
    assert found, f"no group for {name}"
    return found.group(0)


def summary(html: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', html, flags=re.DOTALL)
    assert found, "no error summary"
    return found.group(0)


async def nothing_saved(sessions: Sessions) -> None:
    async with sessions() as db:
        assert await db.get(AssociationSettings, 1) is None
        actions = (await db.scalars(select(AuditEntry.action))).all()
    assert [a for a in actions if not a.startswith("dashboard.")] == []


async def test_two_bad_fields_are_both_shown_beside_them_and_in_the_summary(
    web: Web, sessions: Sessions
) -> None:
    admin = await web.logged_in("admin")
    typed = {
        **FORM,
        "association_name": "Riverside <Homes>",
        "quiet_hours_end": "7pm",
        "homes": "twelve hundred",
        "retention_months": "36",
    }
    refused = await admin.post(
        "/settings", data={**typed, "csrf_token": await page_token(admin, "/settings")}
    )
    html = await refused.text()
    assert refused.status == 400
    assert "<title>Error: Settings" in html
    top = summary(html)
    assert 'role="alert"' in top and 'tabindex="-1"' in top and "There is a problem" in top
    links = re.findall(r'<a href="#([a-z_]+)">([^<]*)</a>', top)
    assert [name for name, _ in links] == ["quiet_hours_end", "homes"]  # the form's order
    for name, words in [
        ("quiet_hours_end", "Quiet hours end: type a time on the 24-hour clock"),
        ("homes", "Number of homes: type a whole number from 1 to 10,000,000."),
    ]:
        group = field_group(html, name)
        assert 'class="field field--error"' in group
        assert f'<p class="field-error" id="{name}-error">' in group and words in group
        field = re.search(rf'<(input|textarea|select) name="{name}"[^>]*>', group)
        assert field, name
        assert f'id="{name}"' in field.group(0) and 'aria-invalid="true"' in field.group(0)
        assert f"{name}-error" in re.findall(r'aria-describedby="([^"]*)"', field.group(0))[0]
        assert any(words in text for _, text in links)
    # The good fields are not marked, and everything typed is there again (escaped).
    good = field_group(html, "retention_months")
    assert "field--error" not in good and "aria-invalid" not in good
    assert 'aria-describedby="retention_months-hint"' in good
    assert 'value="7pm"' in html and 'value="twelve hundred"' in html
    assert 'value="36"' in html and 'value="Riverside &lt;Homes&gt;"' in html
    assert "Gas: 0800 111 999</textarea>" in html
    assert html.count('class="field-error"') == 2
    await nothing_saved(sessions)


async def test_a_rule_between_fields_is_shown_with_the_other_mistakes(
    web: Web, sessions: Sessions
) -> None:
    admin = await web.logged_in("admin")
    typed = {
        **FORM,
        "association_name": "",
        "quiet_hours_start": "07:00",
        "quiet_hours_end": "07.00",
        "retention_months": "48",
        "complaint_retention_months": "12",
        "bank_holiday_region": "france",
    }
    refused = await admin.post(
        "/settings", data={**typed, "csrf_token": await page_token(admin, "/settings")}
    )
    html = await refused.text()
    assert refused.status == 400
    links = re.findall(r'<a href="#([a-z_]+)">', summary(html))
    assert links == [
        "association_name",
        "quiet_hours_end",
        "bank_holiday_region",
        "complaint_retention_months",
    ]
    assert "the same time" in field_group(html, "quiet_hours_end")
    assert "keep complaints at least as long" in field_group(html, "complaint_retention_months")
    assert "choose one of the regions" in field_group(html, "bank_holiday_region")
    assert 'value="07.00"' in html and 'value="48"' in html and 'value="12"' in html
    await nothing_saved(sessions)


@pytest.mark.browser
async def test_the_summary_is_focused_and_its_links_move_focus_to_the_field(
    web: Web, artifacts_dir: Path
) -> None:
    ensure_chromium()
    await web.user("admin", "priya")
    base = str(web.server.make_url("/")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="en-GB")
            await page.goto(f"{base}/login?next=/settings")
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            homes = page.get_by_role("textbox", name="Number of homes")
            await expect(homes).to_be_visible(timeout=TIMEOUT_MS)
            await homes.fill("twelve hundred")
            await page.get_by_role("textbox", name="Until").fill("7pm")
            await page.get_by_role("button", name="Save settings").click()
            alert = page.get_by_role("alert")
            await expect(alert).to_contain_text("There is a problem", timeout=TIMEOUT_MS)
            await expect(alert).to_be_focused()
            await expect(homes).to_have_value("twelve hundred")
            await expect(homes).to_have_attribute("aria-invalid", "true")
            await expect(homes).to_have_accessible_description(re.compile("type a whole number"))
            await alert.get_by_role("link", name=re.compile("Number of homes")).click()
            await expect(homes).to_be_focused()
            await alert.get_by_role("link", name=re.compile("Quiet hours end")).click()
            await expect(page.get_by_role("textbox", name="Until")).to_be_focused()
            await page.screenshot(path=str(artifacts_dir / "settings-errors.png"), full_page=True)
        finally:
            await browser.close()
