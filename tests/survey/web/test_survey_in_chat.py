"""Issue 14's acceptance, end to end in real headless Chromium: an admin opens a census year on
the dashboard; the delivery worker sends the invitation to a resident using the sandbox's web
chat, who presses Start, answers by pressing buttons (one by keyboard), presses "Stop for now",
later sends /survey and carries on at the first unanswered question, and finishes; a second
resident of the same household (same tenancy reference) is refused politely; with other
responses seeded through the answering service, the year's page shows TP01's share, count,
base and 95% margin of error, which this test works out by hand from the answers it gave.

The margin's method, as bot/survey/sampling.py (``margin_of_error``) and figures.py document
it from docs/regulation-tsm.md §5 "achieved margin" and §9 item 14: at 95% confidence,
1.96·√(p(1−p)/n) WITH the finite population correction √((N−n)/(N−1)), where N is the year's
number of homes of the tenure (``SurveyYear.homes``, typed on the opening form) and n the
measure's base: its answers on the five-point scale ("no answer" is outside the base).

Held at noon on Wednesday 2 December 2026 in London (time-machine in this process, moving on;
Chromium runs on the tests' clock under `make test-at`, as every browser test's). On SQLite
and PostgreSQL (the household's one-response rule locks rows, which differs between them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Locator, Page, async_playwright, expect
from sqlalchemy import select

from bot.accounts.users import create_user
from bot.models import Resident
from bot.models.base import utcnow
from bot.sandbox.client import SandboxUser
from bot.survey.questions import Answer, options
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import Places, add_resident
from tests.support.harness import BotHarness
from tests.support.web import AXE_OPTIONS, PASSWORDS
from tests.survey.factories import call, invitation_of
from tests.survey.test_telegram import (
    F_REPAIR,
    LANDLORD,
    STOPPED,
    THANKS,
    TP01,
    TP02,
    TP03,
    resident,
)

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
TIMEOUT_MS = 20_000  # the invitation waits for the delivery worker
HOMES = 40  # N: small, so that the finite population correction shows in the margin
HOUSEHOLD = "T-0042"
INVITED = f"{LANDLORD} is running its yearly satisfaction survey."
WELCOME_BACK = "Welcome back. Here is where you left off."
REFUSED = (
    "Thank you, but someone in your household has already answered this year's survey. "
    "We ask each household only once a year."
)
ANSWERED = "You have already answered this year's survey. Thank you for taking part."
# TP01 from the other respondents, seeded through the answering service: three satisfied,
# two not, and one unprompted "don't know" (a respondent, but outside TP01's base).
SEEDED_TP01 = [
    Answer.VERY_SATISFIED,
    Answer.VERY_SATISFIED,
    Answer.VERY_SATISFIED,
    Answer.FAIRLY_DISSATISFIED,
    Answer.FAIRLY_DISSATISFIED,
    Answer.NO_ANSWER,
]
ANN_TP01 = Answer.FAIRLY_SATISFIED  # pressed by keyboard in the chat


@pytest.fixture
def noon() -> Iterator[None]:
    """The clock at noon on 2 December 2026, London, moving on (asked for before Doorstep)."""
    with time_machine.travel(NOON, tick=True):
        yield


# ----- the resident's side: the sandbox's web chat ------------------------------------------


async def chat_as(page: Page, sandbox_url: str, user_id: int) -> None:
    """Open the web chat in this tab as the Telegram user ``user_id`` (the tab's resident)."""
    await page.add_init_script(
        f"if (!sessionStorage.getItem('sandbox_user_id'))"
        f" sessionStorage.setItem('sandbox_user_id', '{user_id}');"
    )
    await page.goto(f"{sandbox_url}/chat")
    await expect(page.locator("#text")).to_be_visible(timeout=TIMEOUT_MS)
    assert await page.evaluate("sessionStorage.getItem('sandbox_user_id')") == str(user_id)


def bot_messages(page: Page) -> Locator:
    return page.locator(".msg.bot")


async def see(page: Page, text: str) -> None:
    """Wait until a bot message containing ``text`` is on screen."""
    bubble = page.locator(".msg.bot .text").filter(has_text=text).last
    await expect(bubble).to_be_visible(timeout=TIMEOUT_MS)


async def asked(page: Page) -> Locator:
    """The question being asked: the newest bot message, once it has "Stop for now" (pinned
    by its message id, so the locator stays on it when the next message arrives)."""
    newest = bot_messages(page).last
    await expect(newest.get_by_role("button", name="Stop for now")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    message_id = await newest.get_attribute("data-message-id")
    return page.locator(f'.msg.bot[data-message-id="{message_id}"]')


async def question_text(page: Page) -> str:
    return await (await asked(page)).locator(".text").inner_text()


async def press(page: Page, label: str | None, *, key: str | None = None) -> None:
    """Answer the question being asked with the button ``label`` (None: its first answer),
    clicked, or from the keyboard (focus, then ``key``); wait for the bot's next message."""
    question = await asked(page)
    message_id = await question.get_attribute("data-message-id")
    before = await bot_messages(page).count()
    if label is None:
        button = question.get_by_role("button").first
    else:
        button = question.get_by_role("button", name=label, exact=True)
    if key is None:
        await button.click()
    else:
        await button.focus()
        await expect(button).to_be_focused()
        await page.keyboard.press(key)
    # The next message is in and the question's buttons are gone (checked on every frame:
    # expect()'s back-off would add up to a second to each of some twenty questions).
    await page.wait_for_function(
        """([before, id]) => document.querySelectorAll(".msg.bot").length === before + 1
            && !document.querySelector(`.msg.bot[data-message-id="${id}"] button`)""",
        arg=[before, message_id],
        timeout=TIMEOUT_MS,
    )


async def type_command(page: Page, text: str) -> None:
    """Type into the message box and send with Enter, keyboard only."""
    await page.locator("#text").focus()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


# ----- seeding the other respondents through the service -----------------------------------


async def respond(h: BotHarness, year_id: int, resident_id: int, tp01: Answer) -> None:
    """The resident answers TP01 with ``tp01`` and the first answer to every other question
    ("yes" to filters), through bot.survey.answering as the bot would."""
    invitation_id = (await invitation_of(h.sessions, year_id, resident_id)).id
    question = await call(h.sessions, invitation_id, "start", now=utcnow())
    while question is not None:
        value = tp01 if question.code == "TP01" else options(question)[0]
        question = await call(
            h.sessions, invitation_id, "answer", question.code, value, now=utcnow()
        )


async def resident_id(h: BotHarness, user: SandboxUser) -> int:
    """The resident id of a sandbox user made by tests.survey.test_telegram.resident."""
    async with h.sessions() as db:
        found = await db.scalar(
            select(Resident.id).where(Resident.telegram_user_id == user.user_id)
        )
    assert found is not None
    return int(found)


# ----- the journey --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.sqlite_only  # the chat page and the dashboard; the rules run on both in tests/survey
@pytest.mark.no_quiet_hours
async def test_a_resident_answers_in_the_chat_and_the_dashboard_shows_tp01(
    noon: None, doorstep: BotHarness, places: Places, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    h = doorstep
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    ann = await resident(h, places, household=HOUSEHOLD)
    bob = await resident(h, places, household=HOUSEHOLD)  # Ann's household
    others = []
    for n in range(len(SEEDED_TP01)):
        h.state.ensure_user(850_001 + n, f"Resident {n}")
        others.append(await add_resident(h.sessions, 850_001 + n, area=places.riverside, topics=[]))
    async with h.sessions.begin() as db:
        await create_user(db, "priya", PASSWORDS["admin"], "admin", actor="test")
    base = h.runtime.web_url.rstrip("/")
    sandbox = h.client.base_url
    axe = Axe()
    found: list[str] = []

    async def check(page: Page, where: str) -> None:
        # Checked once the press is answered, as a resident sees the chat at rest.
        await expect(page.locator(".kb-button.pressed")).to_have_count(0)
        results = await axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            nodes = "; ".join(n["html"][:120] for n in violation["nodes"])
            found.append(f"{where}: {violation['id']} ({violation['impact']}): {nodes}")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1100, "height": 900}, locale="en-GB"
            )
            ann_chat = await context.new_page()
            await chat_as(ann_chat, sandbox, ann.user_id)

            # The admin opens this year's LCRA census on the dashboard, by keyboard.
            dashboard = await context.new_page()
            await dashboard.goto(f"{base}/survey")
            await dashboard.get_by_label("Username").fill("priya")
            await dashboard.get_by_label("Password").fill(PASSWORDS["admin"])
            await dashboard.get_by_role("button", name="Log in").click()
            await expect(dashboard.get_by_role("heading", name="Open a survey year")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check(dashboard, "/survey")
            await dashboard.get_by_label("Low-cost rental accommodation (LCRA)").focus()
            await dashboard.keyboard.press("Space")
            await dashboard.get_by_label("Census: every resident in scope is invited").focus()
            await dashboard.keyboard.press("Space")
            await dashboard.get_by_label("Number of homes of this tenure").focus()
            await dashboard.keyboard.press("Control+A")
            await dashboard.keyboard.type(str(HOMES))
            await dashboard.get_by_role("button", name="Open the survey year").focus()
            await dashboard.keyboard.press("Enter")
            await expect(dashboard.get_by_text("The survey year is open.")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            year_url = dashboard.url.split("?")[0]
            year_id = int(year_url.rsplit("/", 1)[1])

            # The delivery worker brings Ann the invitation; Start, by keyboard.
            # Back to Ann's tab: a tab behind another has its timers and frames throttled.
            await ann_chat.bring_to_front()
            await see(ann_chat, INVITED)
            await check(ann_chat, "chat (the invitation)")
            start = ann_chat.get_by_role("button", name="Start", exact=True)
            await start.focus()
            await expect(start).to_be_focused()
            await ann_chat.keyboard.press("Enter")
            await see(ann_chat, "How your answers are used")
            assert await question_text(ann_chat) == TP01
            await check(ann_chat, "chat (a question)")
            await press(ann_chat, "Fairly satisfied", key="Space")  # ANN_TP01
            assert await question_text(ann_chat) == F_REPAIR
            await press(ann_chat, "Yes")
            assert TP02 in await question_text(ann_chat)
            await press(ann_chat, "Very satisfied", key="Enter")
            assert TP03 in await question_text(ann_chat)

            # Stop for now, half-way; later /survey carries on at TP03, the first unanswered.
            await press(ann_chat, "Stop for now")
            await see(ann_chat, STOPPED)
            await type_command(ann_chat, "/survey")
            await see(ann_chat, WELCOME_BACK)
            assert TP03 in await question_text(ann_chat)
            # To the end: "No" to the other filters (fewer questions), else the first answer.
            for _ in range(25):
                question = await asked(ann_chat)
                is_filter = await question.get_by_role("button", name="No", exact=True).count()
                await press(ann_chat, "No" if is_filter else None)
                newest = bot_messages(ann_chat).last
                if THANKS in await newest.locator(".text").inner_text():
                    break
            else:
                pytest.fail("the survey did not end")
            await see(ann_chat, THANKS)
            if backend == "sqlite":
                await ann_chat.screenshot(path=str(artifacts_dir / "survey-chat-finished.png"))
            ann_invitation = await invitation_of(h.sessions, year_id, await resident_id(h, ann))
            assert ann_invitation.completed_at is not None
            # A second completion this year: refused politely.
            await type_command(ann_chat, "/survey")
            await see(ann_chat, ANSWERED)

            # Bob lives with Ann (same tenancy reference): refused politely, asked nothing.
            bob_chat = await context.new_page()
            await chat_as(bob_chat, sandbox, bob.user_id)
            await see(bob_chat, INVITED)
            await type_command(bob_chat, "/survey")
            refusal = bob_chat.locator(".msg.bot .text").last
            await expect(refusal).to_have_text(REFUSED, timeout=TIMEOUT_MS)
            await expect(bob_chat.get_by_role("button", name="Stop for now")).to_have_count(0)
            await check(bob_chat, "chat (the household's refusal)")
            bob_invitation = await invitation_of(h.sessions, year_id, await resident_id(h, bob))
            assert bob_invitation.refused_at is not None and bob_invitation.started_at is None

            # The other respondents, through the answering service.
            for resident_id_, tp01 in zip(others, SEEDED_TP01, strict=True):
                await respond(h, year_id, resident_id_, tp01)

            # TP01 by hand: its base n is every scale answer (Ann's and the seeded ones but
            # the "no answer"); satisfied: very or fairly satisfied.
            tp01_answers = [ANN_TP01, *SEEDED_TP01]
            scale = [a for a in tp01_answers if a is not Answer.NO_ANSWER]
            n = len(scale)
            count = sum(a in (Answer.VERY_SATISFIED, Answer.FAIRLY_SATISFIED) for a in scale)
            assert (n, count) == (6, 4)
            p = count / n
            fpc = (HOMES - n) / (HOMES - 1)  # finite population correction, N = the homes
            margin = 1.96 * math.sqrt(p * (1 - p) / n * fpc)
            share = f"{100 * p:.1f}%"
            points = f"±{100 * margin:.1f} points"
            assert (share, points) == ("66.7%", "±35.2 points")  # without the FPC, ±37.7

            await dashboard.bring_to_front()
            await dashboard.goto(year_url)
            tp01_row = dashboard.get_by_role("row").filter(
                has=dashboard.get_by_role("rowheader", name="TP01", exact=True)
            )
            await expect(tp01_row).to_have_count(1, timeout=TIMEOUT_MS)
            await expect(tp01_row).to_contain_text("Overall satisfaction")
            for shown in (share, str(count), str(n), points):
                await expect(tp01_row.get_by_role("cell", name=shown, exact=True)).to_have_count(1)
            await check(dashboard, f"/survey/{year_id}")
            if backend == "sqlite":
                await dashboard.screenshot(
                    path=str(artifacts_dir / "survey-results-after-chat.png"), full_page=True
                )
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
