"""Recovery codes for two-step login, on each database: ten made when it is turned on and
shown once, stored hashed, each good for one login in place of the app's code (audited
and throttled as codes are), a new set ending the old, and none left once it is off."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import time_machine
from sqlalchemy import func, select

from bot.accounts.passwords import typed_secret
from bot.accounts.recovery import RECOVERY_CODE_COUNT, looks_like_recovery_code
from bot.accounts.throttle import MAX_FAILURES_PER_ACCOUNT
from bot.models import AuditEntry, DashboardUser
from bot.models.web import RecoveryCode
from bot.web.login import WRONG
from tests.support.web import PASSWORDS, Client, Web, page_token

# The start of a 30-second step: the app's codes stay current for the whole test.
NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
SPENT = "That recovery code has been used already: each one works once."
_CODES = re.compile(r"<li><code>([0-9a-z-]+)</code></li>")


def codes_on(page: str) -> list[str]:
    """The recovery codes a page shows."""
    return _CODES.findall(page)


async def turn_two_step_on(client: Client, password: str) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-step login from the Account page as a person would: the app (its TOTP)
    and the recovery codes shown in the answer."""
    token = await page_token(client)
    assert (await client.post("/account/totp/start", data={"csrf_token": token})).status == 200
    page = await (await client.get("/account")).text()
    totp = pyotp.TOTP(page.split("<code>")[1].split("</code>")[0])
    on = await client.post(
        "/account/totp/confirm",
        data={"csrf_token": token, "code": totp.now(), "password": password},
    )
    text = await on.text()
    assert on.status == 200 and "Two-step login is on" in text
    return totp, codes_on(text)


async def stored_codes(web: Web, username: str) -> list[RecoveryCode]:
    async with web.sessions() as db:
        user_id = await db.scalar(
            select(DashboardUser.id).where(DashboardUser.username == username)
        )
        return list(
            (await db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id))).all()
        )


@time_machine.travel(NOON, tick=True)
async def test_ten_codes_are_shown_once_and_only_their_hashes_kept(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    _totp, codes = await turn_two_step_on(client, PASSWORDS["staff"])
    assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT
    assert all(looks_like_recovery_code(code) for code in codes)

    rows = await stored_codes(web, "sam")
    assert len(rows) == RECOVERY_CODE_COUNT and all(r.used_at is None for r in rows)
    kept = " ".join(r.code_hash for r in rows)
    for code in codes:
        assert code not in kept and typed_secret(code) not in kept
    # Never shown again: the page says how many are left, not what they are.
    later = await (await client.get("/account")).text()
    assert codes_on(later) == [] and "10 recovery codes are left." in later
    for code in codes:
        assert code not in later


@time_machine.travel(NOON, tick=True)
async def test_a_recovery_code_logs_in_once_and_its_use_is_audited(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    _totp, codes = await turn_two_step_on(client, PASSWORDS["staff"])

    browser = await web.client()
    # As a person copies it from paper: upper case, spaces for the hyphens.
    typed = codes[0].upper().replace("-", " ")
    assert (await web.login(browser, "sam", PASSWORDS["staff"], typed)).status == 303
    again = await web.login(await web.client(), "sam", PASSWORDS["staff"], codes[0])
    assert again.status == 401 and SPENT in await again.text()
    # With a wrong password, a spent code says nothing more.
    wrong = await web.login(await web.client(), "sam", "not the password at all", codes[0])
    assert wrong.status == 401 and SPENT not in (text := await wrong.text()) and WRONG in text
    # Another code is still good.
    assert (await web.login(await web.client(), "sam", PASSWORDS["staff"], codes[1])).status == 303

    async with web.sessions() as db:
        used = (
            await db.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "dashboard.recovery_code_used")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [(u.actor, u.details) for u in used] == [
        ("web:sam", {"codes_left": 9}),
        ("web:sam", {"codes_left": 8}),
    ]
    assert "8 recovery codes are left." in await (await browser.get("/account")).text()


@time_machine.travel(NOON, tick=True)
async def test_wrong_recovery_codes_are_throttled_as_app_codes_are(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    _totp, codes = await turn_two_step_on(client, PASSWORDS["staff"])
    browser = await web.client()
    for n in range(MAX_FAILURES_PER_ACCOUNT):
        guess = f"{n:04d}-0000-0000-0000"
        refused = await web.login(browser, "sam", PASSWORDS["staff"], guess)
        assert refused.status == 401
    throttled = await web.login(browser, "sam", PASSWORDS["staff"], codes[0])
    assert throttled.status == 429
    assert all(r.used_at is None for r in await stored_codes(web, "sam"))


@time_machine.travel(NOON, tick=True)
async def test_a_new_set_takes_the_password_and_ends_the_old_set(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    _totp, old = await turn_two_step_on(client, PASSWORDS["staff"])
    token = await page_token(client)

    refused = await client.post(
        "/account/recovery-codes", data={"csrf_token": token, "password": "not it at all"}
    )
    assert refused.status == 400 and "The current password is not right." in await refused.text()
    forged = await client.post(
        "/account/recovery-codes", data={"csrf_token": "forged" * 8, "password": "x"}
    )
    assert forged.status == 403
    assert {r.code_hash for r in await stored_codes(web, "sam")} != set()
    before = {r.code_hash for r in await stored_codes(web, "sam")}

    renewed = await client.post(
        "/account/recovery-codes", data={"csrf_token": token, "password": PASSWORDS["staff"]}
    )
    page = await renewed.text()
    assert renewed.status == 200 and "The old ones no longer work." in page
    new = codes_on(page)
    assert len(new) == RECOVERY_CODE_COUNT and not set(new) & set(old)
    after = {r.code_hash for r in await stored_codes(web, "sam")}
    assert len(after) == RECOVERY_CODE_COUNT and not after & before

    stale = await web.login(await web.client(), "sam", PASSWORDS["staff"], old[0])
    assert stale.status == 401 and WRONG in await stale.text()
    assert (await web.login(await web.client(), "sam", PASSWORDS["staff"], new[0])).status == 303
    async with web.sessions() as db:
        renewals = await db.scalar(
            select(func.count()).where(AuditEntry.action == "dashboard.recovery_codes_renewed")
        )
    assert renewals == 1


async def test_no_recovery_codes_without_two_step_login(web: Web) -> None:
    client = await web.logged_in("viewer", "vic")
    refused = await client.post(
        "/account/recovery-codes",
        data={"csrf_token": await page_token(client), "password": PASSWORDS["viewer"]},
    )
    assert refused.status == 400 and "turn it on first" in await refused.text()
    assert await stored_codes(web, "vic") == []


@time_machine.travel(NOON, tick=True)
async def test_turning_two_step_login_off_deletes_the_codes(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    await turn_two_step_on(client, PASSWORDS["staff"])
    off = await client.post(
        "/account/totp/disable",
        data={"csrf_token": await page_token(client), "password": PASSWORDS["staff"]},
    )
    assert off.status == 200 and "Two-step login is off" in await off.text()
    assert await stored_codes(web, "sam") == []
    # Logging in needs no code now.
    assert (await web.login(await web.client(), "sam", PASSWORDS["staff"])).status == 303


async def test_the_login_form_says_a_recovery_code_will_do(web: Web) -> None:
    page = await (await (await web.client()).get("/login")).text()
    assert "or one of your recovery codes" in page
    assert 'pattern="[0-9 ]*"' not in page  # letters must be accepted
