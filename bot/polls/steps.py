"""The polls' button codes (no conversation step: every poll button works at any step).

The values are stored in the callback data of messages already sent (a poll's message
stays in residents' chats), so a value never changes; a new button gets a new one.

- VOTE, single choice: ``0:plv:<poll id>:<option id>`` records that option.
- TICK, several choices: ``0:plt:<poll id>:<ticked>:<position>`` ticks or unticks the
  option at ``position`` (1-10); ``ticked`` is the bit mask of the options ticked so far,
  so the message itself carries the choice until it is sent.
- SEND, several choices: ``0:pls:<poll id>:<ticked>`` records the ticked options.
"""

from __future__ import annotations

from enum import StrEnum

POLLS_FLOW = "polls"


class PollPress(StrEnum):
    """The poll's buttons."""

    VOTE = "plv"
    TICK = "plt"
    SEND = "pls"
