"""The audit log as sentences, over real HTTP on each database: real actions done through
the dashboard and the services read "Sam Stageone acknowledged complaint FB-...", with
names instead of "staff:3", local times, links to the report, event or announcement, and
details as a list rather than JSON; residents only by number. The filters (person, action,
dates in the association's time zone) each narrow the log and combine; a filter that
cannot be used is a 400 with its reason beside the field. Every action the code writes
has words."""

from __future__ import annotations

import ast
import html as html_lib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiohttp.test_utils import TestClient
from playwright.async_api import async_playwright, expect

from bot.audit import ACTIONS, record_action
from bot.feedback.hazards import STEPS
from bot.models import Resident, StaffMember
from bot.privacy.erasure import erase_resident
from bot.web.security import SETTINGS
from tests.association.test_service import FORM
from tests.feedback.web.test_casework import complaint, post
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.events import make_event
from tests.support.web import PASSWORDS, Web, page_token
from tests.web.test_accessibility import TIMEOUT_MS, Checker

Client = TestClient[Any, Any]
BOT = Path(__file__).resolve().parents[2] / "bot"
# Wednesday 1 July 2026, 12:00 UTC: 13:00 in London (summer time).
NOON_UTC = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def table(page: str) -> str:
    """The log's rows as markup (the filter form's option values are ids, and may be)."""
    body = re.search(r"<tbody>(.*)</tbody>", page, flags=re.DOTALL)
    return body.group(1) if body else ""


def sentences(page: str) -> list[str]:
    """Each row's "What happened" cell as plain text."""
    cells = re.findall(r'<td data-label="What happened">(.*?)</td>', table(page), re.DOTALL)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells]


async def add_named_staff(web: Web, name: str, telegram_id: int) -> int:
    async with web.sessions.begin() as db:
        member = StaffMember(
            telegram_user_id=telegram_id, chat_id=telegram_id, name=name, role="staff"
        )
        db.add(member)
        await db.flush()
        return member.id


async def test_real_actions_read_as_sentences_with_names_times_and_links(
    web: Web, neighbourhoods: None
) -> None:
    with time_machine.travel(NOON_UTC, tick=True):
        report, _ = await complaint(web, name="Ann Resident")
        sam_id = await add_named_staff(web, "Sam Stageone", 81)
        sam = await web.logged_in("staff", "sam", staff_member_id=sam_id)
        alex_id = await add_named_staff(web, "Alex Admin", 82)
        alex = await web.logged_in("admin", "alex", staff_member_id=alex_id)

        acknowledged = await post(sam, f"/feedback/{report.id}/acknowledge")
        assert acknowledged.status in (200, 303)
        classified = await post(
            sam, f"/feedback/{report.id}/hazard", kind="emergency", reason="Gas smell in the hall"
        )
        assert classified.status in (200, 303), await classified.text()
        for change in ({}, {"quiet_hours_start": "22:00"}):
            token = await page_token(alex, "/settings")
            saved = await alex.post(
                "/settings", data={**FORM, **change, "csrf_token": token}, allow_redirects=False
            )
            assert saved.status == 303
        event_id = await make_event(web.sessions, sam_id, title="Summer fair")
        async with web.sessions.begin() as db:
            bob = Resident(telegram_user_id=99, chat_id=99, display_name="Bob Private")
            db.add(bob)
            await db.flush()
            await erase_resident(db, bob, web.app[SETTINGS], now=NOON_UTC)
            bob_id = bob.id
            record_action(
                db,
                f"staff:{sam_id}",
                "feedback.frobnicated",
                "feedback",
                report.id,
                {"colour": "blue"},
            )
            record_action(
                db,
                "system:retention",
                "feedback.retention_anonymised",
                "feedback",
                None,
                {"before": {"references": ["FB-2020-00001", "FB-2020-00002"]}, "after": {}},
            )
        page = await (await alex.get("/admin/audit")).text()

    said = sentences(page)
    ref = report.reference
    expected = [
        f"Sam Stageone acknowledged complaint {ref}.",
        f"Sam Stageone classified complaint {ref} as an emergency hazard: Gas smell in the hall.",
        "Alex Admin changed the association's name from Your Housing Association to Riverside "
        "Homes, the emergency contacts and the number of homes from none to 12,500.",
        "Alex Admin changed the quiet hours from 21:00–08:00 to 22:00–08:00.",
        "Sam Stageone published the event “Summer fair”.",
        f"A resident (id {bob_id}) asked to be forgotten, and their personal data was erased.",
        f"Sam Stageone did “reports and complaints: frobnicated” on complaint {ref}.",
        "Doorstep (the retention job) anonymised closed reports past their retention period: "
        "FB-2020-00001, FB-2020-00002.",
        "Alex Admin logged in to the dashboard.",
        "Sam Stageone logged in to the dashboard.",
    ]
    for sentence in expected:
        assert sentence in said, (sentence, said)
    rows = table(page)
    assert f'<a href="/feedback/{report.id}">complaint {ref}</a>' in rows
    assert f'<a href="/events/{event_id}">the event “Summer fair”</a>' in rows
    # Times are local (13:00 in London), and machine-readable beside.
    assert "Wed 01 Jul 2026, 13:00" in rows
    assert re.search(r'datetime="2026-07-01T13:00:\d\d\+01:00"', rows)
    # Details are a list, not JSON; no ids for people, no residents' names.
    assert "<dt>Colour</dt><dd>blue</dd>" in rows
    assert "<dt>Staff member</dt><dd>Alex Admin</dd>" in rows  # a name, not an id
    assert "<dt>Start of the quiet hours</dt><dd>21:00 → 22:00</dd>" in rows
    assert "<dt>End of the quiet hours</dt><dd>08:00 → 08:00</dd>" in rows
    for unwanted in ("staff:", "web:", "{", "Ann Resident", "Bob Private", "&#34;", '"to":'):
        assert unwanted not in rows, unwanted


def _written_actions() -> set[str]:
    """Every action name written as a plain string to the audit log anywhere in bot/."""
    found: set[str] = set()
    writers = {"record_action", "audit_event", "_audit"}
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in writers:
                continue
            for arg in ast.walk(node):
                text = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(text, str) and re.fullmatch(r"[a-z]+\.[a-z_]*[a-z]", text):
                    found.add(text)
    return found


def test_every_action_the_code_writes_has_words() -> None:
    written = _written_actions()
    assert {"feedback.acknowledged", "dashboard.login", "event.published"} <= written
    # The names built at run time: hazard steps, announcements' outcomes, listed things.
    built = {f"feedback.hazard_{step}" for step in STEPS} | {
        "announcement.sent",
        "announcement.scheduled",
        *(
            f"{kind}.{change}"
            for kind in ("neighbourhood", "topic")
            for change in ("renamed", "deactivated", "reactivated")
        ),
    }
    missing = sorted((written | built) - set(ACTIONS))
    assert missing == [], f"actions with no words in bot.audit.ACTIONS: {missing}"


# ----- filters ------------------------------------------------------------------------------------


# Held after the seeded days, so the logins come after them too.
HELD = time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=True)


async def _seeded(web: Web) -> tuple[Client, int, int]:
    """Sam (with a dashboard account) and Val, each with entries on known days."""
    sam_id = await add_named_staff(web, "Sam Stageone", 83)
    val_id = await add_named_staff(web, "Val Two", 84)
    async with web.sessions.begin() as db:
        for at, who, action in [
            (datetime(2026, 6, 1, 10, 0, tzinfo=UTC), sam_id, "feedback.replied"),
            # 00:30 on 2 June in London (summer time): a local day, not a UTC one.
            (datetime(2026, 6, 1, 23, 30, tzinfo=UTC), sam_id, "feedback.note_added"),
            (datetime(2026, 6, 3, 9, 0, tzinfo=UTC), val_id, "feedback.replied"),
            (datetime(2026, 6, 3, 9, 5, tzinfo=UTC), val_id, "event.cancelled"),
        ]:
            record_action(db, f"staff:{who}", action, "feedback", at.day, now=at)
    with time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=True):
        await web.logged_in("staff", "sam", staff_member_id=sam_id)
        admin = await web.logged_in("admin", "priya")
    return admin, sam_id, val_id


async def _shown(admin: Client, query: str) -> list[str]:
    response = await admin.get(f"/admin/audit?{query}")
    page = await response.text()
    assert response.status == 200, (query, page)
    return sentences(page)


@HELD
async def test_each_filter_narrows_the_log_and_they_combine(web: Web) -> None:
    admin, sam_id, val_id = await _seeded(web)
    page = await (await admin.get("/admin/audit")).text()
    # The choices are names and words, not ids.
    assert f'<option value="staff:{sam_id}">Sam Stageone</option>' in page
    assert f'<option value="staff:{val_id}">Val Two</option>' in page
    assert '<option value="feedback.replied">Replied to a resident</option>' in page
    assert '<option value="feedback.">Any: Reports and complaints</option>' in page
    assert len(sentences(page)) == 8  # four, two accounts made and their logins

    # A person: a staff member and the dashboard account acting as them.
    sam = await _shown(admin, f"actor=staff:{sam_id}")
    assert len(sam) == 3 and all(s.startswith("Sam Stageone") for s in sam)
    assert "Sam Stageone logged in to the dashboard." in sam
    replied = await _shown(admin, "action=feedback.replied")
    assert [s.split(" replied")[0] for s in replied] == ["Val Two", "Sam Stageone"]
    assert len(await _shown(admin, "action=feedback.")) == 3
    # Local days, both ends included.
    assert await _shown(admin, "from=2026-06-02&to=2026-06-02") == [
        "Sam Stageone added an internal note to report 1."  # 1 June in UTC
    ]
    assert len(await _shown(admin, "from=2026-06-01&to=2026-06-01")) == 1
    assert len(await _shown(admin, "to=2026-06-03")) == 4
    # Together.
    both = await _shown(admin, f"actor=staff:{val_id}&action=feedback.replied&from=2026-06-02")
    assert len(both) == 1 and both[0].startswith("Val Two replied")
    assert await _shown(admin, f"actor=staff:{sam_id}&from=2026-06-03&to=2026-06-30") == []
    # What was chosen is chosen again (the filters live in the URL).
    again = await (await admin.get(f"/admin/audit?actor=staff:{val_id}&from=2026-06-02")).text()
    assert f'<option value="staff:{val_id}" selected>' in again
    assert 'name="from" type="date" value="2026-06-02"' in again


@HELD
async def test_a_filter_that_cannot_be_used_is_a_400_with_the_reason_beside_it(web: Web) -> None:
    admin, sam_id, _val_id = await _seeded(web)
    for query, field, words in [
        ("from=2026-02-30", "from", "From must be a real date, like 2026-12-05."),
        ("to=yesterday", "to", "To must be a real date"),
        ("from=2026-06-05&to=2026-06-01", "to", "To must be the same day as From or later."),
        ("actor=staff:999999", "actor", "Nobody by that name is in the audit log"),
        ("actor=web:nobody", "actor", "Nobody by that name"),
        ("action=feedback.made_up", "action", "There is no such action"),
        ("action=dashboard.%00login", "action", "Action cannot have control characters."),
        ("from=2026-06-01%0A", "from", "From cannot have control characters."),
    ]:
        response = await admin.get(f"/admin/audit?{query}")
        page = await response.text()
        assert response.status == 400, query
        group = re.search(
            rf'<div class="field field--error">\s*<label for="{field}">.*?</div>', page, re.DOTALL
        )
        assert group, (query, page)
        assert f'<p class="field-error" id="{field}-error">' in group.group(0)
        assert words in html_lib.unescape(group.group(0)), query
        assert 'aria-invalid="true"' in group.group(0)
        assert f'aria-describedby="{field}-error"' in group.group(0)
        assert f'<a href="#{field}">' in page and "There is a problem" in page
        assert sentences(page) == []
    # Two mistakes at once: both.
    page = await (await admin.get(f"/admin/audit?actor=staff:{sam_id}x&to=31/12/2026")).text()
    assert page.count('class="field-error"') == 2


@pytest.mark.browser
@HELD
async def test_in_chromium_a_bad_filter_is_announced_and_meets_wcag(
    web: Web, artifacts_dir: Path
) -> None:
    ensure_chromium()
    await _seeded(web)
    base = str(web.server.make_url("/")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="en-GB")
            await page.goto(f"{base}/login?next=/admin/audit")
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            person = page.get_by_label("Person")
            await expect(person).to_be_visible(timeout=TIMEOUT_MS)
            await person.select_option(label="Val Two")
            await page.get_by_role("button", name="Filter").click()
            await expect(page.locator("tbody tr")).to_have_count(2, timeout=TIMEOUT_MS)
            assert "actor=staff%3A" in page.url  # the filters live in the URL
            await page.screenshot(path=str(artifacts_dir / "audit-filtered.png"), full_page=True)
            response = await page.goto(f"{base}/admin/audit?from=2026-02-30&actor=staff:1")
            assert response is not None and response.status == 400
            alert = page.get_by_role("alert")
            await expect(alert).to_be_focused()
            await alert.get_by_role("link", name=re.compile("real date")).click()
            await expect(page.get_by_label("From")).to_be_focused()
            await page.screenshot(path=str(artifacts_dir / "audit-refused.png"), full_page=True)
            checker = Checker()
            await checker.check(page, "admin /admin/audit (refused)")
            assert checker.found == [], "\n".join(checker.found)
        finally:
            await browser.close()
