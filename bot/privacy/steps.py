"""The /forget confirmation's step and button codes, by name.

The values are stored (the step in ``conversation_states``, the button code in the
message already sent): never change one.
"""

from __future__ import annotations

from enum import StrEnum


class ForgetStep(StrEnum):
    """Asking whether to erase the resident's data."""

    CONFIRM = "forget_confirm"


class ForgetButton(StrEnum):
    """The confirmation's button code; its argument is a ``ForgetAnswer``."""

    FORGET = "forget"


class ForgetAnswer(StrEnum):
    """Erase, or keep everything."""

    YES = "yes"
    NO = "no"
