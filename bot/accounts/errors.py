"""The one kind of refusal the account rules give."""

from __future__ import annotations

from bot.errors import DomainError


class AccessError(DomainError):
    """A refusal whose message is safe to show the person (one line).

    A ``DomainError`` whose first argument is a catalog msgid (this class and its kinds are
    extraction keywords, ``bot.i18n.check``), so the dashboard's ``form_action`` shows it
    like any service's refusal, in the person's language (``refusal_words``); ``str()`` is
    the finished English sentence, for the command line.
    """

    def __str__(self) -> str:
        return self.message_id.format(**self.params)


class CodeUsed(AccessError):
    """A right second-step code that was used already (a TOTP code whose 30-second step is
    used up, or a recovery code spent before): its owner is told so, after the right
    password, rather than left doubting the password."""
