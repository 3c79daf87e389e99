"""The ideas' conversation steps and button codes.

The values are stored: a step in ``conversation_states`` (a resident half-way through an
idea carries on after a restart) and a button code in the callback data of messages
already sent. Never change a value; add a new member instead.
"""

from __future__ import annotations

from enum import StrEnum

IDEAS_FLOW = "ideas"


class IdeaStep(StrEnum):
    """Proposing an idea: title, what and why, a photo, the name question, checking it."""

    TITLE = "ida_title"
    BODY = "ida_body"
    PHOTO = "ida_photo"
    SHARE_NAME = "ida_share"
    CONFIRM = "ida_confirm"


class IdeaButton(StrEnum):
    """Buttons at a step of proposing (tied to the step's revision)."""

    NO_PHOTO = "idanophoto"
    SHARE = "idashare"
    SEND = "idasend"
    AGAIN = "idaagain"


class IdeaPress(StrEnum):
    """Buttons that work at any step (revision 0): under /ideas and each idea shown.

    - PROPOSE: ``0:idanew`` starts proposing one.
    - LIST: ``0:idals:<new|top>`` the neighbourhood's ideas, newest or most backed first.
    - MINE: ``0:idamine`` the resident's own ideas and where they are.
    - BACK: ``0:idabk:<idea id>`` backs it; WITHDRAW: ``0:idawd:<idea id>`` withdraws.
    """

    PROPOSE = "idanew"
    LIST = "idals"
    MINE = "idamine"
    BACK = "idabk"
    WITHDRAW = "idawd"
