"""The password policy and hashing of dashboard accounts."""

from __future__ import annotations

import secrets

import pytest

from bot.accounts.passwords import (
    WeakPassword,
    check_password_policy,
    hash_password,
    verify_password,
)
from bot.errors import DomainError
from bot.web.pages import refusal_words


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12 characters"),
        ("password1234", "most common passwords"),
        ("qwertyuiop123", "most common passwords"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("Password123!", "too easy to guess"),
        ("x" * 1025, "at most 1024 characters"),
    ],
)
def test_weak_passwords_are_refused_with_a_plain_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason) as refused:
        check_password_policy(password, "priya")
    assert "\n" not in str(refused.value)
    # A DomainError like any service's refusal: the dashboard shows the same words.
    assert isinstance(refused.value, DomainError)
    assert refusal_words(refused.value) == str(refused.value)


def test_long_passwords_and_passphrases_are_accepted() -> None:
    check_password_policy("ochre lantern dripping violins")
    long_one = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(200))
    check_password_policy(long_one)
    assert verify_password(hash_password(long_one), long_one)
    assert hash_password(long_one).startswith("$argon2id$")
