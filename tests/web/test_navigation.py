"""The dashboard's frame on every page: a skip link first, the menu in labelled groups
(admin's only for admins), and the current section marked for screen readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from tests.feedback.web.test_inbox import add_report, area_ids
from tests.support.web import Client, Web

FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}
ADMIN_ONLY = ["Neighbourhoods", "Topics", "Settings", "Users", "Audit log"]


@dataclass
class Frame:
    """What a page's HTML says about its frame: focusable elements in order, the menu's
    links and group labels, which link is marked current, and the main element's id."""

    focusable: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # the menu's and the header's, in order
    current: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    main_id: str | None = None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frame = Frame()
        self._in_header = False
        self._link: dict[str, str] | None = None
        self._label = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in FOCUSABLE and found.get("type") != "hidden":
            self.frame.focusable.append((tag, found))
        if tag == "header":
            self._in_header = True
        if tag == "main":
            self.frame.main_id = found.get("id")
        if self._in_header and tag == "a":
            self._link, self._text = found, ""
        if self._in_header and "nav-label" in found.get("class", ""):
            self._label, self._text = True, ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_header = False
        if tag == "a" and self._link is not None:
            words = " ".join(self._text.split())
            self.frame.links.append(words)
            if self._link.get("aria-current") == "page":
                self.frame.current.append(words)
            self._link = None
        if tag == "span" and self._label:
            self.frame.groups.append(self._text.strip())
            self._label = False


async def frame_of(client: Client, path: str) -> Frame:
    response = await client.get(path)
    assert response.status == 200, path
    reader = _Reader()
    reader.feed(await response.text())
    return reader.frame


async def test_the_skip_link_comes_first_and_leads_to_main(web: Web) -> None:
    anonymous = await web.client()
    staff = await web.logged_in("staff")
    for client, path in [(anonymous, "/login"), (staff, "/"), (staff, "/feedback")]:
        frame = await frame_of(client, path)
        tag, attrs = frame.focusable[0]
        assert (tag, attrs.get("href"), attrs.get("class")) == ("a", "#main", "skip-link"), path
        assert frame.main_id == "main", path


async def test_the_menu_marks_the_section_of_the_page(web: Web, neighbourhoods: None) -> None:
    report = await add_report(web, neighbourhood_id=(await area_ids(web))["riverside"])
    admin = await web.logged_in("admin")
    for path, section in [
        ("/", "Home"),
        ("/feedback", "Feedback"),
        (f"/feedback/{report.id}", "Feedback"),
        ("/events", "Events"),
        ("/events/new", "Events"),
        ("/admin/audit", "Audit log"),
        ("/account", "Account"),
    ]:
        assert (await frame_of(admin, path)).current == [section], path


async def test_admin_sections_are_only_for_admins(web: Web) -> None:
    admin = await frame_of(await web.logged_in("admin"), "/")
    staff = await frame_of(await web.logged_in("staff"), "/")
    viewer = await frame_of(await web.logged_in("viewer"), "/")
    assert admin.groups == ["Casework", "Community", "Reporting", "Admin"]
    assert staff.groups == viewer.groups == ["Casework", "Community", "Reporting"]
    for name in ADMIN_ONLY:
        assert name in admin.links and name not in staff.links and name not in viewer.links
    assert "Residents" in admin.links and "Residents" in staff.links
    assert "Residents" not in viewer.links
    everyone = [
        "Doorstep",
        "Account",
        "Home",
        "Feedback",
        "Events",
        "Announcements",
        "Polls",
        "Ideas",
        "Community chest",
        "Calendar",
    ]
    assert viewer.links == [*everyone, "Report", "Survey", "TSM return"]
