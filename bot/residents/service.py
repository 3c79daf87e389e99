"""Residents: registration after consent, profile changes, neighbourhoods and topics."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.errors import InvalidInput, NotFound
from bot.models import EventBooking, Feedback, Neighbourhood, Resident, Topic
from bot.models.base import utcnow
from bot.text import require_text

NAME_MAX_LENGTH = 64
NEIGHBOURHOOD_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


async def find_resident(session: AsyncSession, telegram_user_id: int) -> Resident | None:
    """The resident with this Telegram account (profile relations not loaded)."""
    result = await session.execute(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )
    return result.scalar_one_or_none()


async def load_profile(resident: Resident) -> Resident:
    """Load the resident's neighbourhood and topics (once per session) before reading them."""
    await resident.awaitable_attrs.neighbourhood
    await resident.awaitable_attrs.topics
    return resident


async def register_resident(
    session: AsyncSession,
    telegram_user_id: int,
    chat_id: int,
    language: str,
    neighbourhood: Neighbourhood | None = None,
) -> Resident:
    """Create the resident at the moment they agree to the privacy notice."""
    now = utcnow()
    resident = Resident(
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        language=language,
        consented_at=now,
        neighbourhood_id=neighbourhood.id if neighbourhood else None,
        active=True,
    )
    session.add(resident)
    await session.flush()
    return await load_profile(resident)


def clean_name(text: str | None) -> str:
    """A display name as the resident typed it, checked for length and line breaks."""
    return require_text(text, NAME_MAX_LENGTH, single_line=True)


# Words a resident may leave out of a name ("Riverside" for "Riverside Estate"), when that
# still names one choice only.
OPTIONAL_NAME_WORDS = frozenset({"estate", "gardens"})

Choice = TypeVar("Choice", bound=Hashable)


def _name_words(text: str) -> list[str]:
    """A name as words to compare: case, accents' forms, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c if c.isalnum() else " " for c in folded).split()


def choices_named(typed: str, names: Mapping[Choice, Sequence[str]]) -> list[Choice]:
    """The choices a typed answer names, forgivingly (one: found; none or more: ask again).

    ``names``: each choice's names (a button's label, and any other word for it). An exact
    match, ignoring case, punctuation and spacing, wins; failing that, names are compared
    without the words in OPTIONAL_NAME_WORDS.
    """
    wanted = _name_words(typed)
    if not wanted:
        return []
    exact = [c for c, labels in names.items() if any(_name_words(n) == wanted for n in labels)]
    if exact:
        return exact

    def short(words: list[str]) -> list[str]:
        return [w for w in words if w not in OPTIONAL_NAME_WORDS]

    wanted = short(wanted)
    return [
        c
        for c, labels in names.items()
        if wanted and any(short(_name_words(n)) == wanted for n in labels)
    ]


async def neighbourhoods_by_name(
    session: AsyncSession, ids: Collection[int] | None = None, *, active_only: bool = False
) -> list[Neighbourhood]:
    """Neighbourhoods in name order: all of them, or the ones ``ids`` names (None: all);
    ``active_only`` leaves out those closed to newcomers."""
    statement = select(Neighbourhood).order_by(Neighbourhood.name)
    if ids is not None:
        statement = statement.where(Neighbourhood.id.in_(ids))
    if active_only:
        statement = statement.where(Neighbourhood.active.is_(True))
    return list((await session.scalars(statement)).all())


async def active_neighbourhoods(session: AsyncSession) -> Sequence[Neighbourhood]:
    """The staff-kept list of neighbourhoods residents choose from, by name."""
    return await neighbourhoods_by_name(session, active_only=True)


async def neighbourhood_by_code(session: AsyncSession, code: str) -> Neighbourhood | None:
    """The active neighbourhood a deep-link code names, if any (codes are case-insensitive)."""
    if not NEIGHBOURHOOD_CODE.match(code):
        return None
    result = await session.execute(
        select(Neighbourhood).where(
            Neighbourhood.code == code.lower(), Neighbourhood.active.is_(True)
        )
    )
    return result.scalar_one_or_none()


async def get_neighbourhood(session: AsyncSession, neighbourhood_id: int) -> Neighbourhood:
    """An active neighbourhood by id, or NotFound (e.g. a stale button)."""
    neighbourhood = await session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None or not neighbourhood.active:
        raise NotFound("That neighbourhood is no longer on the list. Please choose again.")
    return neighbourhood


async def active_topics(session: AsyncSession) -> Sequence[Topic]:
    """The topics residents can follow."""
    result = await session.execute(select(Topic).where(Topic.active.is_(True)).order_by(Topic.id))
    return result.scalars().all()


async def set_topics(session: AsyncSession, resident: Resident, topic_ids: Sequence[int]) -> None:
    """Replace the topics the resident follows (unknown ids are ignored)."""
    topics = [t for t in await active_topics(session) if t.id in set(topic_ids)]
    await load_profile(resident)
    resident.topics = topics
    await session.flush()


def set_language(resident: Resident, language: str, languages: Sequence[str]) -> None:
    """Change the resident's language to one Doorstep ships."""
    if language not in languages:
        raise InvalidInput("Please choose one of the languages on the buttons.")
    resident.language = language


async def set_neighbourhood(
    session: AsyncSession, resident: Resident, neighbourhood_id: int | None
) -> None:
    """Move the resident to a neighbourhood (None: their area is not on the list)."""
    if neighbourhood_id is None:
        resident.neighbourhood_id = None
        resident.neighbourhood = None
        return
    neighbourhood = await get_neighbourhood(session, neighbourhood_id)
    resident.neighbourhood_id = neighbourhood.id
    resident.neighbourhood = neighbourhood


def finish_onboarding(resident: Resident) -> None:
    """Record that the resident completed set-up."""
    if resident.onboarded_at is None:
        resident.onboarded_at = utcnow()


async def set_active(session: AsyncSession, telegram_user_id: int, active: bool) -> bool:
    """Mark a resident active or inactive (they blocked or unblocked the bot)."""
    resident = await session.scalar(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )
    if resident is None:
        return False
    resident.active = active
    resident.inactive_reason = None if active else "blocked"
    return True


NEIGHBOURHOOD_NAME_MAX_LENGTH = 120
# Deep links starting with this are staff invites (bot.staff.service.DEEP_LINK_PREFIX).
_RESERVED_CODE_PREFIX = "staff-"


def _checked_code(code: str) -> str:
    """A deep-link code as stored (lower case), or InvalidInput saying why not."""
    code = code.strip()
    if not NEIGHBOURHOOD_CODE.match(code):
        raise InvalidInput("A code is 1 to 32 letters, digits, '-' or '_'.")
    if code.lower().startswith(_RESERVED_CODE_PREFIX):
        raise InvalidInput("A code can't start with 'staff-': those links are staff invites.")
    return code.lower()


async def add_neighbourhood(
    session: AsyncSession, code: str, name: str, *, actor: str | None = None
) -> Neighbourhood:
    """Add a neighbourhood to the staff-kept list (its code goes on QR posters).

    ``actor``: who did it, for the audit log (None: set-up and tests, not audited).
    """
    code = _checked_code(code)
    clean = require_text(name, NEIGHBOURHOOD_NAME_MAX_LENGTH, single_line=True)
    if await session.scalar(select(Neighbourhood).where(Neighbourhood.code == code)):
        raise InvalidInput("A neighbourhood with that code already exists.")
    neighbourhood = Neighbourhood(code=code, name=clean, active=True)
    session.add(neighbourhood)
    await session.flush()
    if actor is not None:
        record_action(
            session,
            actor,
            "neighbourhood.added",
            "neighbourhood",
            neighbourhood.id,
            {"after": {"code": code, "name": clean}},
        )
    return neighbourhood


# ----- the lists staff keep, changed by admins (audited) -----------------------------------------

Listed = TypeVar("Listed", Neighbourhood, Topic)


async def find_listed(session: AsyncSession, kind: type[Listed], item_id: int) -> Listed | None:
    """The neighbourhood or topic with this id (any number: a forged one finds nothing)."""
    return await session.get(kind, item_id) if 0 < item_id < 2**31 else None


async def rename_listed(
    session: AsyncSession,
    item: Listed,
    name: str,
    *,
    actor: str,
    name_cy: str | None = None,
) -> Listed:
    """Rename a neighbourhood or topic (a topic may have a Welsh name; empty: none)."""
    kind = type(item).__tablename__[:-1]
    before: dict[str, str | None] = {"name": item.name}
    after: dict[str, str | None] = {"name": require_text(name, 120, single_line=True)}
    if isinstance(item, Topic):
        before["name_cy"] = item.name_cy
        after["name_cy"] = (
            require_text(name_cy, 120, single_line=True) if name_cy and name_cy.strip() else None
        )
        item.name_cy = after["name_cy"]
    item.name = str(after["name"])
    if before != after:
        record_action(
            session,
            actor,
            f"{kind}.renamed",
            kind,
            item.id,
            {"before": before, "after": after},
        )
    await session.flush()
    return item


async def set_listed_active(
    session: AsyncSession, item: Listed, active: bool, *, actor: str
) -> Listed:
    """Take a neighbourhood or topic off the list, or put it back.

    Residents keep theirs either way: a resident of a deactivated neighbourhood stays in
    it (their reports, bookings and staff's view unchanged), a follower keeps the topic;
    newcomers can no longer choose it, and its deep link stops pre-selecting it.
    """
    kind = type(item).__tablename__[:-1]
    if item.active != active:
        record_action(
            session,
            actor,
            f"{kind}.{'reactivated' if active else 'deactivated'}",
            kind,
            item.id,
            {"before": {"active": item.active}, "after": {"active": active}},
        )
        item.active = active
        await session.flush()
    return item


async def add_topic(
    session: AsyncSession, code: str, name: str, name_cy: str | None = None, *, actor: str
) -> Topic:
    """Add a topic residents can follow (audited)."""
    code = _checked_code(code)
    clean = require_text(name, 120, single_line=True)
    welsh = require_text(name_cy, 120, single_line=True) if name_cy and name_cy.strip() else None
    if await session.scalar(select(Topic).where(Topic.code == code)):
        raise InvalidInput("A topic with that code already exists.")
    topic = Topic(code=code, name=clean, name_cy=welsh, active=True)
    session.add(topic)
    await session.flush()
    record_action(
        session,
        actor,
        "topic.added",
        "topic",
        topic.id,
        {"after": {"code": code, "name": clean, "name_cy": welsh}},
    )
    return topic


async def all_listed(session: AsyncSession, kind: type[Listed]) -> Sequence[Listed]:
    """Every neighbourhood or topic, active ones first, then by name."""
    order = (
        (kind.active.desc(), kind.name) if kind is Neighbourhood else (kind.active.desc(), kind.id)
    )
    return (await session.scalars(select(kind).order_by(*order))).all()


# ----- the residents list (what staff need, nothing more) ----------------------------------------

RESIDENTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class ResidentLine:
    """One resident as staff see them: no name, no Telegram id, no phone number."""

    id: int
    neighbourhood: str | None
    language: str
    joined_at: datetime
    active: bool
    reports: int
    bookings: int


@dataclass(frozen=True)
class ResidentsPage:
    lines: list[ResidentLine]
    total: int
    page: int
    pages: int


async def residents_page(
    session: AsyncSession,
    *,
    within: Sequence[int] | None,
    neighbourhood_id: int | None = None,
    page: int = 1,
    size: int = RESIDENTS_PAGE_SIZE,
) -> ResidentsPage:
    """Residents, newest first, paged; ``within``: the neighbourhood ids one may see (None: all).

    Erased residents (their tombstones) are left out: there is nobody to show.
    """
    where: list[ColumnElement[bool]] = [Resident.forgotten_at.is_(None)]
    if within is not None:
        where.append(Resident.neighbourhood_id.in_(list(within)))
    if neighbourhood_id is not None:
        where.append(Resident.neighbourhood_id == neighbourhood_id)
    total = int(await session.scalar(select(func.count()).select_from(Resident).where(*where)) or 0)
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    reports = (
        select(func.count())
        .select_from(Feedback)
        .where(Feedback.resident_id == Resident.id)
        .scalar_subquery()
    )
    bookings = (
        select(func.count())
        .select_from(EventBooking)
        .where(EventBooking.resident_id == Resident.id, EventBooking.status != "cancelled")
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            Resident.id,
            Neighbourhood.name,
            Resident.language,
            Resident.created_at,
            Resident.active,
            reports,
            bookings,
        )
        .outerjoin(Neighbourhood, Neighbourhood.id == Resident.neighbourhood_id)
        .where(*where)
        .order_by(Resident.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return ResidentsPage(
        [ResidentLine(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6])) for r in rows],
        total,
        page,
        pages,
    )


async def residents_by_neighbourhood(session: AsyncSession) -> dict[int | None, int]:
    """How many residents (erased ones left out) each neighbourhood has; None: not given."""
    rows = await session.execute(
        select(Resident.neighbourhood_id, func.count())
        .where(Resident.forgotten_at.is_(None))
        .group_by(Resident.neighbourhood_id)
    )
    return {area_id: int(count) for area_id, count in rows}


async def set_in_england(
    session: AsyncSession, area: Neighbourhood, in_england: bool, *, actor: str
) -> Neighbourhood:
    """Say whether a neighbourhood's homes are in England, where Awaab's Law applies
    (``bot.feedback.clocks.awaabs_law_applies``): its reports' hazard clocks start from
    then on; a case already classified keeps its clocks (staff reclassify it if wrong)."""
    if area.in_england != in_england:
        record_action(
            session,
            actor,
            "neighbourhood.in_england_changed",
            "neighbourhood",
            area.id,
            {"before": {"in_england": area.in_england}, "after": {"in_england": in_england}},
        )
        area.in_england = in_england
        await session.flush()
    return area


# ----- tenure and household, for the TSM survey (admins and staff, audited) ----------------------
# LCRA and LCHO homes are surveyed and reported apart; leaseholders and others are not
# surveyed (docs/regulation-tsm.md §4 "Who is in scope", §9 item 9). A resident's tenure
# overrides their neighbourhood's; neither set means "lcra" (bot.survey.answering).

TENURES = ("lcra", "lcho", "none")
DEFAULT_TENURE = "lcra"
HOUSEHOLD_REF_MAX_LENGTH = 64
# Letters, digits, spaces and - / . : what tenancy references are made of, and nothing that
# could look like another reference on the page (docs/regulation-tsm.md §9 item 8).
HOUSEHOLD_REF = re.compile(r"[A-Za-z0-9 ./-]+")


def _checked_tenure(tenure: str) -> str:
    if tenure not in TENURES:
        raise InvalidInput("Choose one of the tenures listed.")
    return tenure


async def set_neighbourhood_tenure(
    session: AsyncSession, area: Neighbourhood, tenure: str, *, actor: str
) -> Neighbourhood:
    """Set the TSM tenure of a neighbourhood's homes ("lcra", "lcho" or "none"), which its
    residents have unless their own says otherwise (docs/regulation-tsm.md §9 item 9).

    Choosing what the neighbourhood already has (unset counts as "lcra") changes nothing.
    A survey year already open keeps the tenure each invitation was made with."""
    tenure = _checked_tenure(tenure)
    if (area.tenure or DEFAULT_TENURE) != tenure:
        record_action(
            session,
            actor,
            "neighbourhood.tenure_changed",
            "neighbourhood",
            area.id,
            {"before": {"tenure": area.tenure}, "after": {"tenure": tenure}},
        )
        area.tenure = tenure
        await session.flush()
    return area


def clean_household_ref(text: str | None) -> str | None:
    """A tenancy reference as stored: trimmed, inner runs of spaces made one (a page shows
    "A  1" and "A 1" alike, so they must be one household); None when left empty.
    InvalidInput when it is over 64 characters or has other than letters, digits, spaces,
    '-', '/' or '.'."""
    if text is None or not text.strip():
        return None
    value = re.sub(" {2,}", " ", text.strip())
    if len(value) > HOUSEHOLD_REF_MAX_LENGTH:
        raise InvalidInput(
            "A tenancy reference is at most {limit} characters (this one has {length}).",
            limit=HOUSEHOLD_REF_MAX_LENGTH,
            length=len(value),
        )
    if not HOUSEHOLD_REF.fullmatch(value):
        raise InvalidInput(
            "A tenancy reference has only letters A to Z, digits, spaces, '-', '/' and '.'."
        )
    return value


async def resident_for_tenancy(session: AsyncSession, resident_id: int) -> Resident | None:
    """The resident whose tenancy may be set (neighbourhood loaded), or None: no such
    resident, a forged id, or one whose data was erased (there is nobody to set it for)."""
    if not 0 < resident_id < 2**31:
        return None
    resident = await session.get(Resident, resident_id)
    if resident is None or resident.forgotten_at is not None:
        return None
    await resident.awaitable_attrs.neighbourhood
    return resident


def _reference_change(before: str | None, after: str | None) -> str:
    if before == after:
        return "unchanged"
    if before is None:
        return "set"
    return "cleared" if after is None else "changed"


async def set_tenancy(
    session: AsyncSession,
    resident: Resident,
    *,
    tenure: str | None,
    household_ref: str | None,
    actor: str,
) -> Resident:
    """Set a resident's own TSM tenure (None: their neighbourhood's) and tenancy reference
    (None or blank: they are their own household). Residents with the same reference are
    one household, and the survey takes one response per household a year
    (docs/regulation-tsm.md §4 "Unit of response", §9 items 8 and 9).

    Audited with the resident's id, the tenures and whether the reference was set, changed
    or cleared: never the reference itself. NotFound for an erased resident."""
    if resident.forgotten_at is not None:
        raise NotFound("That resident's data has been erased.")
    new_tenure = None if tenure is None or tenure == "" else _checked_tenure(tenure)
    new_ref = clean_household_ref(household_ref)
    reference = _reference_change(resident.household_ref, new_ref)
    if resident.tenure != new_tenure or reference != "unchanged":
        record_action(
            session,
            actor,
            "resident.tenancy_changed",
            "resident",
            resident.id,
            {
                "resident": resident.id,
                "before": {"tenure": resident.tenure},
                "after": {"tenure": new_tenure},
                "reference": reference,
            },
        )
        resident.tenure = new_tenure
        resident.household_ref = new_ref
        await session.flush()
    return resident
