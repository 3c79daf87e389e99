"""A report being written: its categories, and what the resident has told us so far.

Nothing here touches the database: the draft lives in the conversation state until the
resident presses Send (``bot.feedback.reports.submit_report``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.errors import InvalidInput, StaleAction
from bot.i18n import N_
from bot.text import require_text

# The longest text one Telegram message carries: whatever a resident sends in one message
# is taken whole (Telegram counts UTF-16 units, so no accepted message has more characters).
MESSAGE_MAX_LENGTH = 4096
# A description may come in several messages (a client splits a text longer than 4096
# characters into consecutive messages): they are joined up to this generous total, about
# 2,000 words. More than that belongs in the report's thread once it is sent.
DESCRIPTION_MAX_LENGTH = 12_000
MAX_PHOTOS = 10

# Category code -> label (a gettext msgid). Order is the order residents see.
CATEGORIES: dict[str, str] = {
    "repairs": N_("Repairs"),
    "damp_mould": N_("Damp and mould"),
    "antisocial": N_("Anti-social behaviour"),
    "estate": N_("Neighbourhood and estate"),
    "complaint": N_("Complaint"),
    "suggestion": N_("Suggestion"),
    "compliment": N_("Compliment"),
    "other": N_("Other"),
}

# Categories in which a resident may be reporting a danger to health or safety.
HAZARD_CATEGORIES = frozenset(
    {"repairs", "damp_mould", "antisocial", "estate", "complaint", "other"}
)

# Categories where the resident is asked whether the problem is in a shared area or
# inside their home (bot.feedback.backing: only a shared area's report is communal).
AREA_CATEGORIES = frozenset({"repairs", "estate"})
# Shared area code -> label (a gettext msgid), in the order the buttons show them.
SHARED_AREAS: dict[str, str] = {
    "lift": N_("Lift"),
    "stairs": N_("Stairs and corridors"),
    "bins": N_("Bins and rubbish"),
    "lighting": N_("Lighting"),
    "door_entry": N_("Door entry"),
    "grounds": N_("Grounds and paths"),
    "neighbourhood": N_("Elsewhere in the neighbourhood"),
}
# The answer that keeps a report private (stored as None).
INSIDE_HOME = "home"


@dataclass
class ReportDraft:
    """What the resident has told us so far; kept in the conversation state."""

    category: str
    description: str = ""
    photos: list[tuple[str, str]] = field(default_factory=list)  # (file_id, unique_id)
    latitude: float | None = None
    longitude: float | None = None
    shares_name: bool = False
    # A complaint about anything: the category (e.g. damp and mould) is kept.
    is_complaint: bool = False
    # The resident confirmed that something dangerous is happening now.
    urgent: bool = False
    # When the first words, photo or location arrived (ISO 8601): the landlord's awareness.
    aware_at: str | None = None
    # Repairs and estate: the shared area it is in (bot.feedback.backing.SHARED_AREAS), or
    # None for inside the home (and for every other category): private unless answered.
    shared_area: str | None = None

    def note_awareness(self, moment: datetime) -> None:
        """Record when the landlord became aware, the first time something arrives."""
        if self.aware_at is None:
            self.aware_at = moment.isoformat()


def check_category(code: str) -> str:
    """The category code if it is one of ours, else InvalidInput."""
    if code not in CATEGORIES:
        raise InvalidInput("Please choose one of the categories on the buttons.")
    return code


def check_area(code: str) -> str | None:
    """A shared area's code, None for "inside my home"; anything else is a stale button."""
    if code == INSIDE_HOME:
        return None
    if code not in SHARED_AREAS:
        raise StaleAction("That button no longer works.")
    return code


def add_description(draft: ReportDraft, text: str | None) -> None:
    """Add a message to the description (several messages are joined in order).

    A message that would take the whole over DESCRIPTION_MAX_LENGTH is refused whole,
    never cut: what came before is kept, and the resident is told how to send the rest.
    """
    part = require_text(text, DESCRIPTION_MAX_LENGTH)
    combined = f"{draft.description}\n{part}" if draft.description else part
    if len(combined) > DESCRIPTION_MAX_LENGTH:
        raise InvalidInput(
            "Your description can hold up to {limit} characters, and that message would take "
            "it over, so it was not added. Everything you wrote before it is kept. Press "
            "Continue to send your report; after that you can send the rest under My reports, "
            "with Add information.",
            limit=format(DESCRIPTION_MAX_LENGTH, ","),  # "12,000"
        )
    draft.description = combined


def add_photo(draft: ReportDraft, file_id: str, unique_id: str) -> None:
    """Attach a photo, up to the limit."""
    if len(draft.photos) >= MAX_PHOTOS:
        raise InvalidInput("You can add up to {limit} photos to one report.", limit=MAX_PHOTOS)
    draft.photos.append((file_id, unique_id))


def set_location(draft: ReportDraft, latitude: float, longitude: float) -> None:
    """Attach a location, if it is a real place on Earth."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("That location could not be read. Please try sharing it again.")
    draft.latitude, draft.longitude = latitude, longitude
