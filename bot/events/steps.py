"""The names of the events conversations' steps and of their buttons.

The values are stored: a step name in each chat's conversation row, a button code in
messages already sent (some live in residents' chats for as long as the event is on).
So a value never changes; a new step or button gets a new one.
"""

from __future__ import annotations

from enum import StrEnum

RESIDENT_FLOW = "events"  # the resident's buttons (no steps: every button works anywhere)
NEW_EVENT_FLOW = "event_staff"  # /newevent, and editing a published event
CLOSING_FLOW = "event_closing"  # the closing record


class EventButton(StrEnum):
    """Buttons residents press (revision 0: they work at any step)."""

    LIST = "evlist"
    DETAIL = "evshow"
    JOIN = "evjoin"
    CANCEL = "evcancel"
    CANCEL_CONFIRMED = "evcancelok"
    KEEP = "evkeep"
    CALENDAR = "evics"
    MINE = "evmine"
    WENT = "evwent"
    RATE = "evrate"
    VOLUNTEER = "evvol"
    VOLUNTEER_ROLE = "evvolrole"
    WITHDRAW = "evvolwd"
    WITHDRAW_CONFIRMED = "evvolwdok"
    VOLUNTEER_KEEP = "evvolkeep"


class NewEventStep(StrEnum):
    """The questions of /newevent, in order, and the preview (editing opens at the preview)."""

    TITLE = "evs_title"
    DESCRIPTION = "evs_desc"
    PLACE = "evs_place"
    PIN = "evs_pin"
    START = "evs_start"
    END = "evs_end"
    AREAS = "evs_areas"
    CAPACITY = "evs_cap"
    PARTY = "evs_party"
    QUEUE = "evs_queue"
    DEADLINE = "evs_deadline"
    PHOTO = "evs_photo"
    PREVIEW = "evs_preview"


class NewEventButton(StrEnum):
    """Buttons at a /newevent step (bound to the step's revision)."""

    PIN = "pin"
    CAPACITY = "cap"
    PARTY = "party"
    QUEUE = "queue"
    DEADLINE = "deadline"
    PHOTO = "photo"
    CHANGE = "chg"
    DROP = "drop"


class ClosingStep(StrEnum):
    """The closing record's questions."""

    HEADCOUNT = "evs_headcount"
    NOTES = "evs_notes"
    HOURS = "evs_vhours"  # one volunteer's hours (not in the headcount-notes sequence)


class ClosingButton(StrEnum):
    """Buttons at a closing-record step."""

    HEADCOUNT = "head"
    NOTES = "notes"
    HOURS = "vhours"


class StaffEventButton(StrEnum):
    """Buttons under staff's messages about an event (revision 0: they work at any step;
    each checks that the presser is active staff)."""

    PUBLISH = "evpub"
    ANNOUNCE = "evann"
    MANAGE = "evman"
    ROSTER = "evroster"
    EDIT = "evedit"
    KILL = "evkill"
    KILL_CONFIRMED = "evkillok"
    KILL_DECLINED = "evkillno"
    CALENDAR = "evsics"
    ATTENDANCE = "evatt"
    MARK = "evmark"
    ALL_CAME = "evall"
    CLOSE = "evclose"
    STAFF_LIST = "evstaff"
    VOLUNTEERS = "evvols"
    VOLUNTEER_HOURS = "evvhrs"
