"""Bar charts as SVG text, drawn on the server: no script, no style element, every label escaped.

Why not a chart library: pygal (the maintained one that writes SVG) puts its look in an
inline ``<style>`` element and its tooltips in scripts. The dashboard's
Content-Security-Policy (``default-src 'self'``) blocks both, so its charts would show
unstyled (black shapes) unless the policy were loosened. Horizontal bars need little
drawing; here the look is in presentation attributes (``fill``), which the policy allows,
so a chart needs no rule in the stylesheet either.

Why no ``viewBox``: a scaled drawing scales its text too, so one sized to be readable on a
phone (about 330 px of content) would shout at 1,000 px, and one sized for a laptop would
be unreadable on a phone. Instead the SVG is as wide as its box (``width="100%"``), its
text is a fixed 16 px, and everything across is placed in percentages: each bar's label
sits on its own line above the bar (long ones wrap), the value at the bar's end (inside
it, white, once the bar is long enough to hold it). The height is fixed in pixels.

Each chart is an image with a name and a description (``role="img"``, ``aria-labelledby``
its ``<title>``, ``aria-describedby`` its ``<desc>``, which lists every figure), and can
carry its figures as a table under "Show the figures", so nothing is only in the picture.
Colour is never the only signal: every bar is labelled in words, and a bar for something
that went wrong is also hatched. Every bar colour is at least 3:1 against white (WCAG
1.4.11) and at least 4.5:1 against the white value written inside it.

The chart's own words ("Show the figures", "none"...) are in the reader's language; the
caller gives the title and the labels already in it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import Markup, escape

from bot.web.language import _

FONT = 16  # px: the dashboard's body text
LINE = 20  # a label line
BAR = 26
GAP = 14  # below each bar
AXIS_HEIGHT = 30
LABEL_LINE_MAX = 34  # characters on one label line (about 270 px at 16 px: fits a phone)
LABEL_LINES = 2
INSIDE_FROM = 60.0  # % of the width: from here the value is written inside the bar
TEXT_FILL = "#1b1b1b"
MUTED_FILL = "#555555"  # 7.5:1 on white
AXIS_STROKE = "#6b7280"
# Bar colours: each >= 3:1 on white (non-text contrast) and >= 4.5:1 under white text.
TONES = {
    "plain": "#2f5d8a",  # blue, 6.9:1
    "good": "#1e7b34",  # green, 5.3:1
    "warn": "#8a5a00",  # brown-amber, 5.9:1
    "bad": "#b3261e",  # red, 6.4:1, hatched as well
    "muted": "#5c6670",  # grey, 5.8:1
}
HATCHED = {"bad"}
BAR_FILL = TONES["plain"]

Value = int | float | str


class Row(NamedTuple):
    """One bar: its label, its value (a word when the figure is suppressed), its tone."""

    label: str
    value: Value
    tone: str = "plain"


def _rows(rows: Sequence[tuple[str, Value] | tuple[str, Value, str]]) -> list[Row]:
    return [Row(*row) for row in rows]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _lines(label: str) -> list[str]:
    """The label over at most two lines; a longer one ends in an ellipsis."""
    lines = textwrap.wrap(label, LABEL_LINE_MAX) or [""]
    if len(lines) <= LABEL_LINES:
        return lines
    last = " ".join(lines[LABEL_LINES - 1 :])
    return [*lines[: LABEL_LINES - 1], last[: LABEL_LINE_MAX - 1].rstrip() + "…"]


def value_text(value: Value, unit: str = "") -> str:
    """A figure as the chart and its text alternative write it ("none" for an empty word)."""
    return f"{value}{unit}" if isinstance(value, int | float) else str(value or _("none"))


def share(value: float, top: float) -> float:
    """``value`` as a percentage of ``top``, from 0 to 100; 0 when ``top`` is 0 (no bars)."""
    if top <= 0:
        return 0.0
    return min(max(value / top * 100, 0.0), 100.0)


def _text(x: str, y: float, words: str, *attributes: str) -> str:
    extra = "".join(f" {attribute}" for attribute in attributes)
    return f'<text x="{x}" y="{y:g}"{extra}>{escape(words)}</text>'


def _bar(key: str, row: Row, y: float, top: float, unit: str) -> list[str]:
    """One bar with its value: a suppressed figure gets its word instead of a bar."""
    text_y = y + BAR / 2 + FONT * 0.35
    if not isinstance(row.value, int | float):
        return [
            _text("0", text_y, value_text(row.value), f'fill="{MUTED_FILL}"', 'font-style="italic"')
        ]
    percent = share(float(row.value), top)
    fill = TONES.get(row.tone, BAR_FILL)
    parts = [f'<rect x="0" y="{y:g}" width="{percent:.1f}%" height="{BAR}" fill="{fill}"/>']
    if row.tone in HATCHED and percent > 0:
        parts.append(
            f'<rect x="0" y="{y:g}" width="{percent:.1f}%" height="{BAR}" '
            f'fill="url(#{key}-hatch)"/>'
        )
    inside = percent >= INSIDE_FROM  # else just past the bar's end, in the text colour
    placed = (
        ('dx="-8"', 'text-anchor="end"', 'fill="#ffffff"')
        if inside
        else ('dx="8"', f'fill="{TEXT_FILL}"')
    )
    parts.append(
        _text(f"{percent:.1f}%", text_y, value_text(row.value, unit), *placed, 'font-weight="700"')
    )
    return parts


def _table(key: str, title: str, rows: list[Row], unit: str) -> str:
    """The figures as a table under "Show the figures", for reading rather than seeing."""
    body = "".join(
        f'<tr><th scope="row">{escape(row.label)}</th>'
        f'<td class="num">{escape(value_text(row.value, unit))}</td></tr>'
        for row in rows
    )
    return (
        f'<details class="chart-figures"><summary>{escape(_("Show the figures"))}</summary>'
        f'<table class="figures" id="{key}-figures"><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(_("Item"))}</th>'
        f'<th scope="col" class="num">{escape(_("Figure"))}</th></tr>'
        f"</thead><tbody>{body}</tbody></table></details>"
    )


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Value] | tuple[str, Value, str]],
    *,
    unit: str = "",
    scale_max: float | None = None,
    key: str | None = None,
    figures: bool = False,
) -> Markup:
    """A horizontal bar per row, as wide as its box; a row whose value is a word
    (suppressed) gets the word. ``rows`` are (label, value) or (label, value, tone), tone
    one of `TONES`. ``scale_max`` fixes the full width (100 for percentages; otherwise the
    largest value). ``key`` makes the ids (default: from the title), so give each chart on
    a page its own. ``figures`` adds the table under "Show the figures"."""
    bars = _rows(rows)
    key = f"chart-{_slug(key or title)}"
    numbers = [float(row.value) for row in bars if isinstance(row.value, int | float)]
    top = scale_max if scale_max is not None else max(numbers, default=0.0)
    summary = "; ".join(f"{row.label}: {value_text(row.value, unit)}" for row in bars)
    parts: list[str] = []
    y = 0.0
    if not bars:
        parts.append(_text("0", y + LINE - 4, _("Nothing to show"), f'fill="{MUTED_FILL}"'))
        y += LINE + GAP
    for row in bars:
        parts.append("<g>")
        for line in _lines(row.label):
            y += LINE
            parts.append(_text("0", y - 5, line, f'fill="{TEXT_FILL}"'))
        y += 3
        parts.extend(_bar(key, row, y, top, unit))
        y += BAR + GAP
        parts.append("</g>")
    if top > 0:
        # The scale: a line along the foot of the bars, 0 at the left, the top at the right.
        parts.append(
            f'<line x1="0" x2="100%" y1="{y - GAP / 2:g}" y2="{y - GAP / 2:g}" '
            f'stroke="{AXIS_STROKE}" stroke-width="1"/>'
        )
        parts.append(_text("0", y + 14, "0", f'fill="{MUTED_FILL}"'))
        parts.append(
            _text(
                "100%",
                y + 14,
                value_text(_tidy(top), unit),
                'text-anchor="end"',
                f'fill="{MUTED_FILL}"',
            )
        )
        y += AXIS_HEIGHT
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" height="{int(y)}" '
        f'font-size="{FONT}" aria-labelledby="{key}-title" aria-describedby="{key}-desc">'
        f"<title>{escape(title)}</title>"
        f'<desc id="{key}-desc">{escape(summary or _("Nothing to show"))}.</desc>'
        f'<defs><pattern id="{key}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="3" height="8" fill="#000000" '
        f'fill-opacity="0.35"/></pattern></defs>' + "".join(parts) + "</svg>"
    )
    # The title is HTML, so it wraps on a phone; it names the picture (aria-labelledby).
    caption = f'<p class="chart-title" id="{key}-title"><strong>{escape(title)}</strong></p>'
    table = _table(key, title, bars, unit) if figures else ""
    return Markup(f'<div class="chart" id="{key}">{caption}{svg}{table}</div>')  # noqa: S704 - escaped


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)
