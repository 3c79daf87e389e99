"""The residents' conversation steps and button codes, by name.

The values are stored: steps in ``conversation_states`` (a resident may be half-way
through set-up for weeks) and button codes in messages already sent. Never change one.
"""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """Why the set-up questions are being asked: first set-up, or changing one setting.

    Kept in the conversation's answers (``mode``); it is also the flow's name.
    """

    ONBOARDING = "onboarding"
    SETTINGS = "settings"


class OnboardingStep(StrEnum):
    """The set-up questions (also asked one at a time from Settings)."""

    LANGUAGE = "ob_language"
    NAME = "ob_name"
    NEIGHBOURHOOD = "ob_neighbourhood"
    TOPICS = "ob_topics"


class OnboardingButton(StrEnum):
    """Buttons of the privacy notice and the set-up questions."""

    AGREE = "agree"
    NOT_NOW = "notnow"
    LANGUAGE = "lang"
    NO_NAME = "noname"
    AREA = "area"
    TOPIC = "topic"
    DONE = "done"
    BACK = "back"


# The neighbourhood button's argument for "My area is not listed".
NO_AREA = "none"


class SettingsStep(StrEnum):
    """The Settings menu."""

    MENU = "settings"


class SettingsButton(StrEnum):
    """The Settings menu's one button code; its argument is a ``Setting``."""

    SET = "set"


class Setting(StrEnum):
    """What a Settings button opens (or Done, which closes Settings)."""

    LANGUAGE = "language"
    NAME = "name"
    AREA = "area"
    TOPICS = "topics"
    DONE = "done"
