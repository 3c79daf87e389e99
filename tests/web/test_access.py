"""Dashboard access over real HTTP on each database: login, sessions, roles, CSRF, throttling."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import pyotp
import pytest
from aiohttp import ClientResponse
from aiohttp import web as aioweb
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts.sessions import token_hash
from bot.accounts.throttle import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS
from bot.accounts.users import ROLE_RANK, has_role
from bot.audit import record_action
from bot.logging_setup import configure_logging
from bot.models import (
    Announcement,
    AuditEntry,
    ChestProject,
    ChestRound,
    DashboardUser,
    Event,
    Feedback,
    FeedbackAttachment,
    Idea,
    LoginAttempt,
    Poll,
    Resident,
    StaffMember,
    SurveyYear,
    WebSession,
)
from bot.models.base import utcnow
from bot.models.staff import AuditLogIsAppendOnly
from bot.residents.service import add_neighbourhood
from bot.staff.service import set_staff_neighbourhoods
from bot.web.security import (
    PUBLIC,
    SECURITY_HEADERS,
    SETTINGS,
    RouteAccess,
    access,
    route_table,
)
from tests.support.web import PASSWORDS, Client, Web, WebFactory, csrf_of, page_token

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def concrete(path: str, user_id: int, **ids: int) -> str:
    """A route's path with its placeholders filled in (``feedback_id=...``; 1 when not given)."""
    ids = {"user_id": user_id, **ids}
    return re.sub(r"\{(\w+)\}", lambda found: str(ids.get(found[1], 1)), path)


async def report_everyone_sees(web: Web) -> tuple[int, int]:
    """A report with a photo, and a staff member with no neighbourhoods (covering all)."""
    async with web.sessions.begin() as db:
        member = StaffMember(telegram_user_id=88, chat_id=88, name="Val", role="staff")
        report = Feedback(reference="FB-2026-00001", category="repairs", description="Leak")
        db.add_all([member, report])
        await db.flush()
        db.add(
            FeedbackAttachment(
                id=1, feedback_id=report.id, telegram_file_id="photo-1", file_unique_id="u1"
            )
        )
        return report.id, member.id


async def announcement_everyone_sees(web: Web) -> int:
    """A scheduled announcement to every neighbourhood (staff covering all may cancel it)."""
    async with web.sessions.begin() as db:
        row = Announcement(
            text="Bins", status="scheduled", next_run_at=utcnow() + timedelta(days=1)
        )
        db.add(row)
        await db.flush()
        return row.id


async def event_everyone_sees(web: Web) -> int:
    """An association-wide event tomorrow (so every page about it can be opened)."""
    async with web.sessions.begin() as db:
        starts = utcnow() + timedelta(days=1)
        event = Event(
            title="Coffee morning",
            description="Tea and cake",
            place="Hall",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        )
        db.add(event)
        await db.flush()
        return event.id


def app_routes(web: Web) -> list[RouteAccess]:
    """The app's routes but HEAD twins and the static prefix."""
    return [r for r in route_table(web.app) if r.method != "HEAD" and r.path != "/static"]


# ----- login --------------------------------------------------------------------------------------


async def test_login_succeeds_with_the_password_and_fails_without(web: Web) -> None:
    await web.user("admin", "priya")
    client = await web.client()
    for username, password in [("priya", "wrong password here"), ("nobody", PASSWORDS["admin"])]:
        failed = await web.login(client, username, password)
        assert failed.status == 401
        assert "Wrong username, password or code." in await failed.text()
        assert not any(c.key.endswith("doorstep_session") for c in client.session.cookie_jar)

    ok = await web.login(client, "PRIYA", PASSWORDS["admin"])  # usernames ignore case
    assert ok.status == 303 and ok.headers["Location"] == "/"
    cookie = ok.cookies["doorstep_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert len(cookie.value) >= 43  # 256 bits, URL-safe base64
    home = await client.get("/")
    assert home.status == 200 and "Hello, priya" in await home.text()

    async with web.sessions.begin() as db:
        row = await db.scalar(select(WebSession))
        actions = (await db.scalars(select(AuditEntry.action))).all()
        attempts = (await db.scalars(select(LoginAttempt.success))).all()
    assert row is not None and row.token_hash == token_hash(cookie.value)
    assert cookie.value not in (row.token_hash or "")
    assert row.expires_at - row.created_at == timedelta(hours=12)
    assert "dashboard.login" in actions
    assert sorted(attempts) == [False, False, True]


async def test_a_session_cookie_set_before_login_is_never_the_one_after(web: Web) -> None:
    await web.user("viewer")
    client = await web.client()
    planted = "attacker-chosen-value-0123456789abcdefghijklmnop"
    client.session.cookie_jar.update_cookies({"doorstep_session": planted})
    assert (await client.get("/", allow_redirects=False)).status == 303
    ok = await web.login(client, "viewer", PASSWORDS["viewer"])
    first = ok.cookies["doorstep_session"].value
    assert first != planted
    # Logging in again from a logged-in browser replaces (and ends) the old session.
    again = await web.login(client, "viewer", PASSWORDS["viewer"])
    second = again.cookies["doorstep_session"].value
    assert second != first
    stale = await web.client()
    stale.session.cookie_jar.update_cookies({"doorstep_session": first})
    assert (await stale.get("/", allow_redirects=False)).status == 303


async def test_idle_and_absolute_timeouts_end_a_session(web: Web) -> None:
    client = await web.logged_in("staff")

    async def age(**values: object) -> int:
        async with web.sessions.begin() as db:
            await db.execute(
                update(WebSession).where(WebSession.revoked_at.is_(None)).values(**values)
            )
        return (await client.get("/", allow_redirects=False)).status

    now = utcnow()
    assert await age(last_seen_at=now - timedelta(minutes=29)) == 200  # and it is touched
    async with web.sessions() as db:
        seen = await db.scalar(select(WebSession.last_seen_at))
    assert seen is not None and utcnow() - seen < timedelta(minutes=1)
    assert await age(last_seen_at=now - timedelta(minutes=31)) == 303

    await web.login(client, "staff", PASSWORDS["staff"])
    assert (await client.get("/")).status == 200
    assert await age(expires_at=utcnow() - timedelta(seconds=1)) == 303
    redirected = await client.get("/admin/audit?actor=x", allow_redirects=False)
    assert redirected.headers["Location"].startswith("/login?next=/admin/audit")


async def test_logout_ends_this_session_and_logout_everywhere_ends_all(web: Web) -> None:
    phone = await web.logged_in("viewer")
    laptop = await web.client()
    await web.login(laptop, "viewer", PASSWORDS["viewer"])

    out = await phone.post(
        "/logout", data={"csrf_token": await page_token(phone)}, allow_redirects=False
    )
    assert out.status == 303 and out.headers["Location"] == "/login?done=logged-out"
    said = await (await phone.get(out.headers["Location"])).text()
    assert 'role="status">You are logged out.</p>' in said  # it says so (issue 13)
    assert (await phone.get("/", allow_redirects=False)).status == 303
    assert (await laptop.get("/")).status == 200

    await web.login(phone, "viewer", PASSWORDS["viewer"])
    everywhere = await laptop.post(
        "/logout-everywhere", data={"csrf_token": await page_token(laptop)}, allow_redirects=False
    )
    assert everywhere.status == 303
    said = await (await laptop.get(everywhere.headers["Location"])).text()
    assert "You are logged out, here and on every other device." in said
    assert (await phone.get("/", allow_redirects=False)).status == 303
    assert (await laptop.get("/", allow_redirects=False)).status == 303
    async with web.sessions() as db:
        audit = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [a.action for a in audit][-2:] == ["dashboard.login", "dashboard.logout_everywhere"]
    assert audit[-1].details == {"sessions_ended": 2}


# ----- every route --------------------------------------------------------------------------------


async def test_every_route_declares_who_may_use_it_and_only_login_health_metrics_icon_public(
    web: Web,
) -> None:
    table = route_table(web.app)
    assert all(r.level is not None for r in table), [r for r in table if r.level is None]
    public = {(r.method, r.path) for r in table if r.level == PUBLIC and r.method != "HEAD"}
    assert public == {
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/favicon.ico"),
        ("GET", "/static"),
    }


async def test_a_route_that_declares_nothing_is_refused(web: Web) -> None:
    async def forgotten(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text="secret")

    async def declared(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text="fine")

    web.app.router._frozen = False  # a late route, as a careless change would add
    web.app.router.add_get("/forgotten", forgotten)
    web.app.router.add_get("/declared", access("public")(declared))
    client = await web.client()
    refused = await client.get("/forgotten")
    assert refused.status == 403 and "secret" not in await refused.text()
    assert (await client.get("/declared")).status == 200


async def test_every_route_refuses_anonymous_users(web: Web) -> None:
    target = await web.user("viewer", "target")
    client = await web.client()
    for route in app_routes(web):
        if route.level == PUBLIC:
            continue
        path = concrete(route.path, target.id)
        response = await client.request(route.method, path, data={}, allow_redirects=False)
        if route.method == "GET":
            assert response.status == 303, path
            assert response.headers["Location"].startswith("/login?next="), path
        else:
            assert response.status == 401, (route.method, path)


@pytest.mark.parametrize("forged", ["²", "١٢", "99999999999", "-1", "1.0", "0x1"])
async def test_every_page_with_an_id_answers_a_forged_one_with_not_found(
    web: Web, forged: str
) -> None:
    admin = await web.logged_in("admin")
    with_ids = [r for r in app_routes(web) if r.method == "GET" and "{" in r.path]
    assert len(with_ids) >= 10
    for route in with_ids:
        path = re.sub(r"\{\w+\}", forged, route.path)
        response = await admin.get(path, allow_redirects=False)
        assert response.status == 404, (path, response.status)


@pytest.mark.sqlite_only  # the route table, role by role: the web layer
async def test_every_route_refuses_a_role_below_its_own(web: Web) -> None:
    feedback_id, member_id = await report_everyone_sees(web)
    announcement_id = await announcement_everyone_sees(web)
    event_id = await event_everyone_sees(web)
    clients = {
        role: await web.logged_in(role, staff_member_id=member_id if role == "staff" else None)
        for role in ROLE_RANK
    }
    target = await web.user("viewer", "target")
    async with web.sessions.begin() as db:
        area = await add_neighbourhood(db, "oakfield", "Oakfield Gardens")
        resident = Resident(telegram_user_id=77, chat_id=77, neighbourhood_id=area.id)
        year = SurveyYear(
            starts_on=date(2026, 4, 1),
            tenure="lcra",
            method="census",
            target=278,
            homes=1000,
            seed=1,
            opened_by="admin:1",
        )
        poll = Poll(
            question="New swings?", closes_at=utcnow() + timedelta(days=7), created_by="admin:1"
        )
        now = utcnow()
        chest = ChestRound(
            name="Spring chest",
            budget_pence=100_000,
            proposals_open_at=now - timedelta(days=2),
            proposals_close_at=now + timedelta(days=5),
            voting_open_at=now + timedelta(days=6),
            voting_close_at=now + timedelta(days=9),
            created_by="admin:1",
        )
        db.add_all([resident, year, poll, chest])
        await db.flush()
        project = ChestProject(
            round_id=chest.id,
            resident_id=resident.id,
            neighbourhood_id=area.id,
            title="Planters",
            purpose="Flowers by the door",
            cost_pence=20_000,
            proposed_at=now,
        )
        idea = Idea(
            resident_id=resident.id,
            neighbourhood_id=area.id,
            title="A bench",
            body="By the bus stop",
            photo_file_id="photo-2",
            status="approved",
        )
        db.add_all([project, idea])
        await db.flush()
    for route in app_routes(web):
        if route.level in (PUBLIC, None):
            continue
        path = concrete(
            route.path,
            target.id,
            feedback_id=feedback_id,
            announcement_id=announcement_id,
            event_id=event_id,
            neighbourhood_id=area.id,
            resident_id=resident.id,
            year_id=year.id,
            poll_id=poll.id,
            round_id=chest.id,
            project_id=project.id,
            idea_id=idea.id,
        )
        for role, client in clients.items():
            allowed = has_role(role, route.level)
            if route.method == "GET":
                response = await client.get(path, allow_redirects=False)
                assert response.status == (200 if allowed else 403), (role, path)
            elif not allowed:
                # A valid CSRF token: the refusal is the role's, not the form's.
                token = await page_token(client)
                response = await client.post(path, data={"csrf_token": token, "role": "admin"})
                assert response.status == 403, (role, path)
    async with web.sessions() as db:
        kept = await db.get(DashboardUser, target.id)
    assert kept is not None and kept.role == "viewer"


@pytest.mark.sqlite_only  # the route table, role by role: the web layer
async def test_csrf_missing_or_wrong_is_refused_on_every_state_changing_route(web: Web) -> None:
    admin = await web.logged_in("admin")
    target = await web.user("viewer", "target")
    changing = [r for r in app_routes(web) if r.method in STATE_CHANGING]
    assert len(changing) >= 10
    for route in changing:
        path = concrete(route.path, target.id)
        for data, headers in [
            ({"role": "admin", "active": "no"}, {}),
            ({"role": "admin", "active": "no", "csrf_token": "forged" * 8}, {}),
            ({"role": "admin", "active": "no"}, {"X-CSRF-Token": "forged" * 8}),
        ]:
            response = await admin.request(
                route.method, path, data=data, headers=headers, allow_redirects=False
            )
            assert response.status == 403, (route.method, path, data, headers)
            assert "Form expired" in await response.text()
    # The anonymous login form too: a token from another browser does not do.
    stranger = await web.client()
    other = csrf_of(await (await (await web.client()).get("/login")).text())
    await stranger.get("/login")
    refused = await stranger.post(
        "/login",
        data={"csrf_token": other, "username": "admin", "password": PASSWORDS["admin"]},
        allow_redirects=False,
    )
    assert refused.status == 403
    assert (await admin.get("/")).status == 200  # still logged in: logout was refused
    async with web.sessions() as db:
        row = await db.get(DashboardUser, target.id)
    assert row is not None and row.role == "viewer" and row.active


@pytest.mark.sqlite_only  # the route table, role by role: the web layer
async def test_security_headers_on_every_route(web: Web) -> None:
    admin = await web.logged_in("admin")
    anonymous = await web.client()
    target = await web.user("viewer", "target")
    responses = [
        await anonymous.get("/static/dashboard.css"),
        await anonymous.get("/no-such-page"),
        await anonymous.get("/healthz"),
    ]
    for route in app_routes(web):
        path = concrete(route.path, target.id)
        for client in (admin, anonymous):
            responses.append(await client.request(route.method, path, allow_redirects=False))
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
    assert "frame-ancestors 'none'" in SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in SECURITY_HEADERS["Content-Security-Policy"]
    assert responses[0].headers["Content-Type"].startswith("text/css")


async def test_cookies_are_secure_with_host_prefix_behind_https(web_factory: WebFactory) -> None:
    web = await web_factory(web_https=True)
    await web.user("viewer")
    client = await web.client()
    form = await client.get("/login")
    assert "__Host-doorstep_login" in form.cookies
    assert form.cookies["__Host-doorstep_login"]["secure"]
    assert form.cookies["__Host-doorstep_login"]["samesite"] == "Strict"
    assert form.headers["Strict-Transport-Security"].startswith("max-age=")
    # The test client speaks plain HTTP, so it would not send Secure cookies back itself.
    token = csrf_of(await form.text())
    response = await client.post(
        "/login",
        data={"csrf_token": token, "username": "viewer", "password": PASSWORDS["viewer"]},
        headers={"Cookie": f"__Host-doorstep_login={token}"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    cookie = response.cookies["__Host-doorstep_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/"
    assert not cookie["domain"]


# ----- throttling ---------------------------------------------------------------------------------


async def test_throttling_engages_per_account_and_per_address(web: Web) -> None:
    await web.user("admin", "priya")
    await web.user("viewer", "omar")
    client = await web.client()
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert (await web.login(client, "priya", "not the password at all")).status == 401
    locked = await web.login(client, "priya", PASSWORDS["admin"])  # even the right password
    assert locked.status == 429
    assert "Too many failed logins" in await locked.text()
    assert (await web.login(client, "omar", PASSWORDS["viewer"])).status == 303  # others fine

    # From one address, failures across many usernames stop everyone there.
    for n in range(MAX_FAILURES_PER_ADDRESS - MAX_FAILURES_PER_ACCOUNT):
        assert (await web.login(client, f"guess{n}", "not the password at all")).status == 401
    assert (await web.login(client, "omar", PASSWORDS["viewer"])).status == 429

    # After the window the account can log in again.
    async with web.sessions.begin() as db:
        await db.execute(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=16)))
    assert (await web.login(client, "priya", PASSWORDS["admin"])).status == 303


async def _login_via(
    client: Client, username: str, password: str, forwarded: str
) -> ClientResponse:
    token = csrf_of(await (await client.get("/login")).text())
    return await client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password, "code": ""},
        headers={"X-Forwarded-For": forwarded},
        allow_redirects=False,
    )


async def test_behind_a_trusted_proxy_throttling_counts_the_forwarded_address(
    web_factory: WebFactory,
) -> None:
    web = await web_factory(web_trusted_proxies="127.0.0.0/8, ::1")
    await web.user("viewer", "omar")
    client = await web.client()
    for n in range(MAX_FAILURES_PER_ADDRESS):
        response = await _login_via(client, f"guess{n}", "not the password", "203.0.113.5")
        assert response.status == 401
    stopped = await _login_via(client, "omar", PASSWORDS["viewer"], "203.0.113.5")
    assert stopped.status == 429
    # Someone else behind the same proxy (and an inner trusted hop) is not stopped.
    other = await _login_via(client, "omar", PASSWORDS["viewer"], "198.51.100.7, 127.0.0.2")
    assert other.status == 303
    # A malformed entry is blamed on the last trusted hop, which is not yet stopped.
    odd = await _login_via(await web.client(), "omar", PASSWORDS["viewer"], "<script>, 127.0.0.3")
    assert odd.status == 303
    async with web.sessions.begin() as db:
        addresses = set((await db.scalars(select(LoginAttempt.address))).all())
    assert addresses == {"203.0.113.5", "198.51.100.7", "127.0.0.3"}


async def test_without_trusted_proxies_a_forged_forwarded_header_changes_nothing(
    web: Web,
) -> None:
    await web.user("viewer", "omar")
    client = await web.client()
    for n in range(MAX_FAILURES_PER_ADDRESS):
        forged = f"203.0.113.{n}"  # a new address each time would dodge the limit if believed
        response = await _login_via(client, f"guess{n}", "not the password", forged)
        assert response.status == 401
    assert (await _login_via(client, "omar", PASSWORDS["viewer"], "198.51.100.7")).status == 429


# ----- passwords, two-step login ------------------------------------------------------------------


async def test_two_step_login_with_a_valid_and_an_invalid_code(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")  # as LOG_LEVEL=DEBUG would, then capture everything logged
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        await _two_step_login(web, caplog)
    finally:
        configure_logging("INFO")


async def _two_step_login(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    client = await web.logged_in("staff", "sam")
    token = await page_token(client)
    assert (await client.post("/account/totp/start", data={"csrf_token": token})).status == 200
    page = await (await client.get("/account")).text()
    assert "<svg" in page
    secret = page.split("<code>")[1].split("</code>")[0]
    totp = pyotp.TOTP(secret)
    wrong = await client.post(
        "/account/totp/confirm",
        data={"csrf_token": token, "code": "000000", "password": PASSWORDS["staff"]},
    )
    assert wrong.status == 400 and "That code is not right" in await wrong.text()
    used = totp.now()
    on = await client.post(
        "/account/totp/confirm",
        data={"csrf_token": token, "code": used, "password": PASSWORDS["staff"]},
    )
    assert on.status == 200 and "Two-step login is on" in await on.text()

    fresh = await web.client()
    assert (await web.login(fresh, "sam", PASSWORDS["staff"])).status == 401  # no code
    assert (await web.login(fresh, "sam", PASSWORDS["staff"], "123456")).status == 401
    # The code just used to turn it on works only once (even while it is still current).
    assert (await web.login(fresh, "sam", PASSWORDS["staff"], used)).status == 401
    later = totp.at(utcnow() + timedelta(seconds=30))
    assert (await web.login(fresh, "sam", PASSWORDS["staff"], later)).status == 303
    assert (await web.login(await web.client(), "sam", PASSWORDS["staff"], later)).status == 401

    off = await fresh.post(
        "/account/totp/disable",
        data={"csrf_token": await page_token(fresh), "password": PASSWORDS["staff"]},
    )
    assert "Two-step login is off" in await off.text()
    assert (await web.login(await web.client(), "sam", PASSWORDS["staff"])).status == 303

    logged = caplog.text
    session_cookies = [c.value for c in fresh.session.cookie_jar]
    for secret_thing in [PASSWORDS["staff"], secret, later, *session_cookies]:
        assert secret_thing not in logged


async def test_change_password_keeps_this_session_and_ends_the_others(web: Web) -> None:
    phone = await web.logged_in("viewer", "vic")
    laptop = await web.client()
    await web.login(laptop, "vic", PASSWORDS["viewer"])
    token = await page_token(phone)
    form = {"csrf_token": token, "current_password": PASSWORDS["viewer"]}
    weak = await phone.post(
        "/account/password",
        data={**form, "new_password": "password1234", "new_password_again": "password1234"},
    )
    assert weak.status == 400 and "most common passwords" in await weak.text()
    new = "tangerine bicycles hum softly"
    typo = await phone.post(
        "/account/password",
        data={**form, "new_password": new, "new_password_again": new + "."},
    )
    assert typo.status == 400 and "The new passwords do not match." in await typo.text()
    changed = await phone.post(
        "/account/password", data={**form, "new_password": new, "new_password_again": new}
    )
    assert changed.status == 200 and "password has been changed" in await changed.text()
    assert (await phone.get("/")).status == 200
    assert (await laptop.get("/", allow_redirects=False)).status == 303
    assert (await web.login(await web.client(), "vic", new)).status == 303


# ----- admin pages --------------------------------------------------------------------------------


async def test_admins_create_users_change_roles_and_deactivate_them_audited(web: Web) -> None:
    admin = await web.logged_in("admin", "priya")
    token = await page_token(admin, "/admin/users")
    weak = await admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "Omar", "role": "staff", "password": "short"},
    )
    assert weak.status == 400 and "at least 12 characters" in await weak.text()
    made = await admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "Omar",
            "role": "staff",
            "password": PASSWORDS["staff"],
        },
    )
    assert made.status == 200 and "The user has been created" in await made.text()
    omar_client = await web.client()
    assert (await web.login(omar_client, "omar", PASSWORDS["staff"])).status == 303
    async with web.sessions() as db:
        omar = await db.scalar(select(DashboardUser).where(DashboardUser.username == "omar"))
        me = await db.scalar(select(DashboardUser).where(DashboardUser.username == "priya"))
    assert omar is not None and me is not None

    role = await admin.post(
        f"/admin/users/{omar.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    assert role.status == 200
    mine = await admin.post(
        f"/admin/users/{me.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    assert mine.status == 400 and "your own role" in await mine.text()
    off = await admin.post(
        f"/admin/users/{omar.id}/active", data={"csrf_token": token, "active": "no"}
    )
    assert off.status == 200
    assert (await omar_client.get("/", allow_redirects=False)).status == 303
    assert (await web.login(await web.client(), "omar", PASSWORDS["staff"])).status == 401

    async with web.sessions() as db:
        audit = (
            await db.scalars(
                select(AuditEntry).where(AuditEntry.actor == "web:priya").order_by(AuditEntry.id)
            )
        ).all()
    assert [(a.action, a.subject_id, a.details) for a in audit[1:]] == [
        (
            "dashboard.user_created",
            str(omar.id),
            {"after": {"username": "omar", "role": "staff", "staff_member_id": None}},
        ),
        (
            "dashboard.role_changed",
            str(omar.id),
            {"before": {"role": "staff"}, "after": {"role": "viewer"}},
        ),
        (
            "dashboard.user_deactivated",
            str(omar.id),
            {"before": {"active": True}, "after": {"active": False}},
        ),
    ]


async def test_a_refused_new_user_keeps_what_was_typed_but_the_password(web: Web) -> None:
    async with web.sessions.begin() as db:
        member = StaffMember(telegram_user_id=91, chat_id=91, name="Val", role="staff")
        db.add(member)
        await db.flush()
        member_id = member.id
    admin = await web.logged_in("admin", "priya")
    typed = {"username": "Omar<b>", "role": "staff", "staff_member_id": str(member_id)}
    refused = await admin.post(
        "/admin/users",
        data={
            "csrf_token": await page_token(admin, "/admin/users"),
            **typed,
            "password": PASSWORDS["staff"],
        },
    )
    page = await refused.text()
    assert refused.status == 400 and "letters, digits and . _ - @ only" in page
    assert 'value="Omar&lt;b&gt;"' in page
    assert '<option value="staff" selected>' in page
    assert f'<option value="{member_id}" selected>' in page
    assert PASSWORDS["staff"] not in page
    async with web.sessions() as db:
        assert await db.scalar(select(DashboardUser).where(DashboardUser.role == "staff")) is None


async def test_audit_page_filters_pages_and_escapes(web: Web) -> None:
    admin = await web.logged_in("admin", "priya")
    async with web.sessions.begin() as db:
        for n in range(60):
            record_action(db, "staff:7", "feedback.replied", "feedback", n, {"n": n})
        record_action(
            db, "staff:8", "feedback.note", "feedback", 99, {"text": "<script>alert(1)</script>"}
        )
    page = await (await admin.get("/admin/audit")).text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    replied = "replied to the resident on report"
    assert page.count(replied) == 49 and "Older entries" in page
    older_link = page.split('href="/admin/audit?')[1].split('"')[0].replace("&amp;", "&")
    older = await (await admin.get(f"/admin/audit?{older_link}")).text()
    assert older.count(replied) == 11  # the rest (and the login entry)
    assert "Priya logged in to the dashboard." in older and "Older entries" not in older
    only = await (await admin.get("/admin/audit?actor=staff:8&action=feedback.")).text()
    assert only.count("<tr>") == 2 and "did “reports and complaints: note” on report 99" in only
    today = utcnow().astimezone(web.app[SETTINGS].tz).date().isoformat()  # dates are local
    none = await (await admin.get("/admin/audit?to=2000-01-01")).text()
    assert "Nothing matches." in none
    dated = await (await admin.get(f"/admin/audit?from=2000-01-01&to={today}&actor=staff:8")).text()
    assert "Staff member 8 (no longer on record) did “reports and complaints: note”" in dated


async def test_the_audit_log_is_append_only_in_the_application(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as db:
        entry = record_action(db, "cli", "test.kept")
    with pytest.raises(AuditLogIsAppendOnly):
        async with sessions.begin() as db:
            row = await db.get(AuditEntry, entry.id)
            assert row is not None
            row.action = "test.rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        async with sessions.begin() as db:
            await db.delete(await db.get(AuditEntry, entry.id))
    async with sessions() as db:
        kept = await db.get(AuditEntry, entry.id)
    assert kept is not None and kept.action == "test.kept"


async def test_staff_see_their_neighbourhoods(web: Web, neighbourhoods: None) -> None:
    async with web.sessions.begin() as db:
        member = StaffMember(telegram_user_id=77, chat_id=77, name="Sam", role="staff")
        db.add(member)
        await db.flush()
        await set_staff_neighbourhoods(db, member.id, ["riverside"], actor="cli")
    await web.user("staff", "linked", staff_member_id=member.id)
    linked = await web.client()
    await web.login(linked, "linked", PASSWORDS["staff"])
    page = await (await linked.get("/")).text()
    assert "Riverside Estate" in page and "Oakfield Gardens" not in page
    unlinked = await web.logged_in("staff", "unlinked")
    assert "not linked to a staff member" in await (await unlinked.get("/")).text()
    admin = await web.logged_in("admin")
    assert "whole association" in await (await admin.get("/")).text()


async def test_a_page_not_found_is_the_dashboards_own_and_says_what_to_do(web: Web) -> None:
    browser = await web.client()
    anonymous = await (await browser.get("/no/such/page")).text()
    admin = await web.logged_in("admin")
    response = await admin.get("/feedback/999999")  # a 404 a page gives itself
    page = await response.text()
    assert response.status == 404
    for body in (anonymous, page):
        assert "<h1>Page not found</h1>" in body and 'href="/static/dashboard.css"' in body
        assert "404: Not Found" not in body
    assert 'href="/admin/audit"' in page  # logged in: the menu is there
    assert 'href="/admin/audit"' not in anonymous
    icon = await browser.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["Content-Type"] == "image/svg+xml"
