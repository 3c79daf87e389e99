"""Errors a person can cause; their messages are safe to show to that person."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken by input; ``message_id`` is a gettext msgid shown to the person."""

    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


class NotFound(DomainError):
    """The thing asked for does not exist, or is not the asker's."""


class InvalidInput(DomainError):
    """Input that cannot be accepted (too long, empty, wrong kind)."""


class StaleAction(DomainError):
    """A button or step that no longer applies."""


class NotAllowed(DomainError):
    """The person may not do this (a resident trying a staff command or button)."""
