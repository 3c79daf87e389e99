"""The names of the /announce conversation's steps and of the broadcasts buttons.

The values are stored: steps in ``conversation_states`` (a conversation under way carries
on after a restart) and button codes in messages already sent, so they never change.
"""

from __future__ import annotations

from enum import StrEnum

ANNOUNCE_FLOW = "announce"


class AnnounceStep(StrEnum):
    """Where a staff member is in /announce."""

    TEXT = "an_text"
    CAPTION = "an_caption"
    AREAS = "an_areas"
    TOPICS = "an_topics"
    WHEN = "an_when"
    AT = "an_at"
    DAYS = "an_days"
    TIME = "an_time"
    URGENT = "an_urgent"
    CONFIRM = "an_confirm"
    # The hand-over point for another feature (events' "Announce it"): entered with the
    # answers {"text", "photo", "areas", "topics", "replaces"}, it shows the preview.
    PREPARED = "an_prepared"


class AnnounceButton(StrEnum):
    """Button codes of /announce, /scheduled and residents' Updates."""

    TOPIC = "topic"
    TOPICS = "topics"
    WHEN = "when"
    DAY = "day"
    DAYS = "days"
    URGENT = "urgent"
    EDIT = "edit"
    # These work at any step (revision 0); each checks who is pressing.
    CONFIRM = "anok"
    DISCARD = "anno"
    CANCEL_SCHEDULED = "ancl"
    OLDER_UPDATES = "updates"
