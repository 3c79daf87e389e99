"""The community chest's conversation steps and button codes.

The values are stored: a step name in each chat's conversation row, a button code in
messages already sent (a round's voting message stays in residents' chats), so a value
never changes; a new step or button gets a new one.

- PROPOSE: ``0:cbprop:<round id>`` starts a proposal (works at any step).
- TICK: ``0:cbtick:<round id>:<ticked>:<position>`` ticks or unticks the shortlisted
  project at ``position`` (from 1); ``ticked`` is the bit mask so far, so the message
  itself carries the choice until it is saved.
- SAVE: ``0:cbsave:<round id>:<ticked>`` records the ticked projects as the vote.
- SEND / DROP: at the CONFIRM step (bound to its revision), send the proposal or drop it.
"""

from __future__ import annotations

from enum import StrEnum

CHEST_FLOW = "chest"


class ChestStep(StrEnum):
    """The questions of a proposal, in order, and its confirmation."""

    TITLE = "cb_title"
    PURPOSE = "cb_purpose"
    COST = "cb_cost"
    CONFIRM = "cb_confirm"


class ChestPress(StrEnum):
    """The chest's buttons."""

    PROPOSE = "cbprop"
    TICK = "cbtick"
    SAVE = "cbsave"
    SEND = "cbsend"
    DROP = "cbdrop"
