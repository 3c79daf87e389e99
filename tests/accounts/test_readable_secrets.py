"""Readable secrets (recovery codes, temporary passwords): random, in groups, and read back
forgivingly as people copy them from paper."""

from __future__ import annotations

import re

from bot.accounts.passwords import SECRET_ALPHABET, readable_secret, typed_secret
from bot.accounts.recovery import looks_like_recovery_code, recovery_code_hash


def test_a_readable_secret_is_groups_of_four_without_look_alikes() -> None:
    made = {readable_secret() for _ in range(200)}
    assert len(made) == 200  # random, not repeated
    assert all(re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){3}", code) for code in made)
    assert not set("".join(made)) - set(SECRET_ALPHABET) - {"-"}
    assert not set("ilou") & set(SECRET_ALPHABET)
    assert re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){4}", readable_secret(5))


def test_a_code_is_read_back_as_people_type_it() -> None:
    assert typed_secret(" 7K2M q9xd-4hzp\tB3NW ") == "7k2mq9xd4hzpb3nw"
    assert typed_secret("OIL0-0000-0000-0000") == typed_secret("0110-0000-0000-0000")
    assert looks_like_recovery_code("7K2M Q9XD 4HZP B3NW")
    for not_one in (
        "123456",
        "",
        "7k2m-q9xd-4hzp",
        "7k2m-q9xd-4hzp-b3nw-xxxx",
        "7k2m-q9xd-4hzp-b3n!",
    ):
        assert not looks_like_recovery_code(not_one)
    # The hash is of the code as meant, and differs between accounts.
    assert recovery_code_hash(1, "7K2M Q9XD 4HZP B3NW") == recovery_code_hash(
        1, "7k2m-q9xd-4hzp-b3nw"
    )
    assert recovery_code_hash(1, "7k2m-q9xd-4hzp-b3nw") != recovery_code_hash(
        2, "7k2m-q9xd-4hzp-b3nw"
    )
