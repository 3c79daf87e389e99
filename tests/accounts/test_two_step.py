"""Two-step login on the dashboard (on each database): turning it on takes the password
again, and a code already used is refused in words that say so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from bot.models import DashboardUser
from bot.web.login import WRONG
from tests.support.web import PASSWORDS, Client, Web, page_token

# The start of a 30-second step: codes stay current for the whole test (one step either
# side is accepted too), whatever the real time.
NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
USED = "That code was just used — wait for the next one."


async def _secret_shown(client: Client, token: str) -> str:
    """Start setting up two-step login; the key the page shows to type into an app."""
    assert (await client.post("/account/totp/start", data={"csrf_token": token})).status == 200
    page = await (await client.get("/account")).text()
    return page.split("<code>")[1].split("</code>")[0]


async def _totp_on(web: Web) -> bool:
    async with web.sessions() as db:
        user = await db.scalar(select(DashboardUser).where(DashboardUser.username == "sam"))
    assert user is not None
    return user.totp_secret is not None


@time_machine.travel(NOON, tick=True)
async def test_turning_two_step_login_on_takes_the_password(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    token = await page_token(client)
    totp = pyotp.TOTP(await _secret_shown(client, token))
    confirm = {"csrf_token": token, "code": totp.now()}
    # The session alone (a stolen one) cannot bind its app and lock the owner out.
    for password in ("", "not the password at all"):
        refused = await client.post("/account/totp/confirm", data={**confirm, "password": password})
        assert refused.status == 400
        assert "The current password is not right." in await refused.text()
        assert not await _totp_on(web)
    on = await client.post(
        "/account/totp/confirm", data={**confirm, "password": PASSWORDS["staff"]}
    )
    assert on.status == 200 and "Two-step login is on" in await on.text()
    assert await _totp_on(web)


@time_machine.travel(NOON, tick=True)
async def test_a_code_used_already_is_refused_in_words_that_say_so(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    token = await page_token(client)
    totp = pyotp.TOTP(await _secret_shown(client, token))
    used = totp.now()
    on = await client.post(
        "/account/totp/confirm",
        data={"csrf_token": token, "code": used, "password": PASSWORDS["staff"]},
    )
    assert on.status == 200

    browser = await web.client()
    again = await web.login(browser, "sam", PASSWORDS["staff"], used)
    assert again.status == 401 and USED in await again.text()
    # A wrong code, or a wrong password with the used code, still says nothing more.
    for password, code in [(PASSWORDS["staff"], "123456"), ("not the password at all", used)]:
        refused = await web.login(browser, "sam", password, code)
        assert refused.status == 401
        text = await refused.text()
        assert WRONG in text and USED not in text
    following = totp.at(NOON + timedelta(seconds=30))
    assert (await web.login(browser, "sam", PASSWORDS["staff"], following)).status == 303
