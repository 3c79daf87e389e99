"""What staff write: Telegram's limits on text and photos."""

from __future__ import annotations

import pytest

from bot.broadcasts import composing
from bot.errors import InvalidInput


def test_text_limits_count_what_residents_see() -> None:
    assert composing.check_text("  hi  ", caption=False) == "hi"
    exactly = "<b>" + "x" * 4096 + "</b>"
    assert composing.check_text(exactly, caption=False) == exactly  # tags do not count
    with pytest.raises(InvalidInput) as over:
        composing.check_text("x" * 4097, caption=False)
    assert over.value.params == {"limit": 4096, "length": 4097}
    assert composing.check_text("&amp;" * 1024, caption=True)  # 1024 visible characters
    with pytest.raises(InvalidInput) as caption:
        composing.check_text("y" * 1025, caption=True)
    assert caption.value.params == {"limit": 1024, "length": 1025}
    with pytest.raises(InvalidInput, match="empty"):
        composing.check_text(" \u200b ", caption=False)
    composing.check_photo(10 * 1024 * 1024)
    with pytest.raises(InvalidInput, match="too large"):
        composing.check_photo(10 * 1024 * 1024 + 1)
