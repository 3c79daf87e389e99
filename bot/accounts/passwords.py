"""The password policy and argon2id hashing (changing one's own: ``users.change_password``,
after the current one is given again: ``bot.accounts.recheck``)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from bot.accounts.errors import AccessError
from bot.models import DashboardUser

PASSWORD_MIN_LENGTH = 12
# Long passphrases are welcome; the cap only stops megabyte "passwords" tying up argon2.
PASSWORD_MAX_LENGTH = 1024
# zxcvbn refuses to score more than this; beyond it a password is long enough anyway.
_ZXCVBN_MAX = 72
# zxcvbn score 0-4: 3 means "safely unguessable" (about 10^8 guesses or more).
_MIN_SCORE = 3

# Crockford's base32: no i, l, o or u, so nothing read aloud or copied by hand is mistaken.
SECRET_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # noqa: S105 - an alphabet
# What people type for those look-alikes, read as the letter they meant.
_LOOK_ALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


class WeakPassword(AccessError):
    """The password does not meet the policy; the message says why, plainly."""


@dataclass(frozen=True)
class PasswordChecked:
    """That the account's current password was just given again, and was right (counted
    by the login throttle): what a change to how the account is secured takes.

    Made only by ``bot.accounts.recheck.recheck_passed``.
    """

    user_id: int


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise WeakPassword with a plain reason unless ``password`` may be used.

    At least 12 characters, at most 1,024; not one of the 30,000 most common passwords
    (zxcvbn's list), and not easy to guess by zxcvbn's estimate (common words, names,
    keyboard runs, repeats, dates, the username). No composition rules (NIST SP 800-63B).
    """
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword("The password must be at least {n} characters.", n=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword("The password must be at most {n} characters.", n=PASSWORD_MAX_LENGTH)
    if password.lower() in _common_passwords():
        raise WeakPassword("That password is one of the most common passwords; choose another.")
    inputs = [username] if username else []
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs)
    if int(result["score"]) < _MIN_SCORE:
        warning = str(result.get("feedback", {}).get("warning") or "").rstrip(".")
        reason = f" ({warning.lower()})" if warning else ""  # zxcvbn's words: English only
        raise WeakPassword(
            "That password is too easy to guess{reason}; try a few unrelated words together.",
            reason=reason,
        )


def readable_secret(groups: int = 4) -> str:
    """A random secret of ``groups`` groups of four base32 characters, from ``secrets``
    (20 bits a group: four groups are 80 bits), e.g. "7k2m-q9xd-4hzp-b3nw".

    Read from a screen and typed or said aloud (a recovery code, a temporary password):
    lower case, no look-alike letters, hyphens to keep one's place.
    """
    return "-".join(
        "".join(secrets.choice(SECRET_ALPHABET) for _ in range(4)) for _ in range(groups)
    )


def typed_secret(text: str) -> str:
    """A readable secret as typed, reduced to its characters: case, spaces and hyphens
    ignored, O read as 0 and I or L as 1 (Crockford's rule)."""
    kept = "".join(ch for ch in text.lower() if ch not in " -\t")
    return kept.translate(_LOOK_ALIKES)


def hash_password(password: str) -> str:
    """The argon2id hash of a password (slow on purpose: call it in a thread)."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that an unknown name takes as long."""
    return hash_password(secrets.token_urlsafe(24))


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(user: DashboardUser | None, password: str) -> bool:
    """Verify the password in a thread; an unknown user costs the same argon2 work."""
    if user is None:
        await asyncio.to_thread(verify_password, _dummy_hash(), password)
        return False
    if len(password) > PASSWORD_MAX_LENGTH:
        return False
    return await asyncio.to_thread(verify_password, user.password_hash, password)


async def fresh_hash(user: DashboardUser, password: str) -> str | None:
    """A new hash of the (verified) password when the stored one uses older argon2
    parameters than today's; None when it is current."""
    if not _hasher.check_needs_rehash(user.password_hash):
        return None
    return await asyncio.to_thread(hash_password, password)
