"""The dashboard's preview of Telegram HTML: Telegram's formatting drawn, nothing else."""

from __future__ import annotations

from bot.broadcasts.preview import preview_html


def test_the_preview_draws_telegram_formatting_and_nothing_else() -> None:
    shown = preview_html(
        '<b>Bold <i>both</i></b> 👍🏽 <u>u</u> <a href="https://example.org/?a=1&amp;b=">site</a>'
        ' <a href="javascript:alert(1)">js</a> <span class="tg-spoiler">hid</span>'
        " <code>&lt;b&gt;</code> &quot;q&quot; &lt;img src=x onerror=alert(1)&gt;"
    )
    assert str(shown) == (
        "<strong>Bold <em>both</em></strong> 👍🏽 <u>u</u> "
        '<a href="https://example.org/?a=1&amp;b=" rel="noopener noreferrer" target="_blank">'
        'site</a> js <span class="spoiler">hid</span> <code>&lt;b&gt;</code> &#34;q&#34; '
        "&lt;img src=x onerror=alert(1)&gt;"
    )
