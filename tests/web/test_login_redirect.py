"""Where a login sends the browser back to: a path on this site, never another site (on
each database, logged in and not; the rule itself in ``safe_next``)."""

from __future__ import annotations

import re

from yarl import URL

from bot.web.security import safe_next
from tests.support.web import PASSWORDS, Client, Web, csrf_of

# ``next`` as the handler reads it (once decoded from the URL or the form).
ELSEWHERE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",  # Chromium drops the TAB: //evil.example
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\nSet-Cookie: evil=1",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/ /evil.example",
    "/%09/evil.example",  # the same, encoded once more
    "/%0a/evil.example",
    "/%0D%0ASet-Cookie:%20evil=1",
    "/%00/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5c%5cevil.example",
    "https://evil.example",
    "http:/evil.example",
    "evil.example",
    " /feedback",
    "/\u3000/evil.example",
    "/\ufeff/evil.example",
]
OURS = ["/", "/feedback", "/feedback?status=open&q=leaking%20tap", "/events/12/edit", "/a%2Fb"]
_NEXT_FIELD = re.compile(r'name="next" value="([^"]*)"')


def test_only_a_path_on_this_site_is_kept() -> None:
    for target in ELSEWHERE:
        assert safe_next(target) == "/", repr(target)
    for target in OURS:
        assert safe_next(target) == target
    assert safe_next(None) == safe_next("") == "/"


def _login_url(target: str) -> URL:
    return URL("/login").with_query(next=target)


async def test_a_logged_in_browser_is_sent_only_to_this_site(web: Web) -> None:
    client = await web.logged_in("viewer")
    for target in [*ELSEWHERE, *OURS]:
        response = await client.get(_login_url(target), allow_redirects=False)
        assert response.status == 303, repr(target)
        expected = target if target in OURS else "/"
        assert response.headers["Location"] == expected, repr(target)
    # Raw in the query string, not encoded by the client: a TAB and a backslash.
    for raw in ["/%09/evil.example", "/%5Cevil.example", "//evil.example", "/%2509/evil.example"]:
        url = URL(f"/login?next={raw}", encoded=True)
        response = await client.get(url, allow_redirects=False)
        assert response.headers["Location"] == "/", raw


async def _log_in(client: Client, next_field: str) -> str:
    token = csrf_of(await (await client.get("/login")).text())
    response = await client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "viewer",
            "password": PASSWORDS["viewer"],
            "next": next_field,
        },
        allow_redirects=False,
    )
    assert response.status == 303
    return response.headers["Location"]


async def test_logging_in_sends_the_browser_only_to_this_site(web: Web) -> None:
    await web.user("viewer")
    for target in [*ELSEWHERE, *OURS]:
        client = await web.client()
        expected = target if target in OURS else "/"
        # The form carries only a safe target...
        page = await (await client.get(_login_url(target))).text()
        found = _NEXT_FIELD.search(page)
        assert found and found.group(1) == expected.replace("&", "&amp;"), repr(target)
        # ...and one posted straight to /login is refused as well.
        assert await _log_in(client, target) == expected, repr(target)
