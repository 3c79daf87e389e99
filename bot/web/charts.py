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

from bot.i18n import N_
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
        parts.extend(_scale(y, top, unit))
        y += AXIS_HEIGHT
    table = _table(key, title, bars, unit) if figures else ""
    return _figure(key, title, summary, y, parts, table)


def _scale(y: float, top: float, unit: str) -> list[str]:
    """The scale: a line along the foot of the bars, 0 at the left, ``top`` at the right."""
    return [
        f'<line x1="0" x2="100%" y1="{y - GAP / 2:g}" y2="{y - GAP / 2:g}" '
        f'stroke="{AXIS_STROKE}" stroke-width="1"/>',
        _text("0", y + 14, "0", f'fill="{MUTED_FILL}"'),
        _text(
            "100%",
            y + 14,
            value_text(_tidy(top), unit),
            'text-anchor="end"',
            f'fill="{MUTED_FILL}"',
        ),
    ]


def _figure(
    key: str, title: str, summary: str, height: float, parts: list[str], table: str, note: str = ""
) -> Markup:
    """The chart: its title (HTML, so it wraps on a phone; it names the picture), the SVG
    image described in words, a ``note`` (HTML, already escaped) and the figures table."""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" height="{int(height)}" '
        f'font-size="{FONT}" aria-labelledby="{key}-title" aria-describedby="{key}-desc">'
        f"<title>{escape(title)}</title>"
        f'<desc id="{key}-desc">{escape(summary or _("Nothing to show"))}.</desc>'
        f'<defs><pattern id="{key}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="3" height="8" fill="#000000" '
        f'fill-opacity="0.35"/></pattern></defs>' + "".join(parts) + "</svg>"
    )
    caption = f'<p class="chart-title" id="{key}-title"><strong>{escape(title)}</strong></p>'
    return Markup(f'<div class="chart" id="{key}">{caption}{svg}{note}{table}</div>')  # noqa: S704 - escaped


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


# The monthly trend chart: columns in a plot of fixed height, placed across in percentages.
PLOT = 150
COLUMN = 0.64  # of a month's slot
GRID_STROKE = "#b1b4b6"
GAP_MARK = "–"  # a month whose figure is not shown: a gap with this mark, never a zero column
GAP_NOTE = N_(
    "A dash (–) marks a month whose figure is not shown, to protect residents: the figures say why."
)


class Point(NamedTuple):
    """One month: its name in full (the text alternative, the table), its value (a word
    when suppressed) and its short name under the column ("Jan")."""

    label: str
    value: Value
    short: str


def trend_chart(
    title: str,
    points: Sequence[Point],
    *,
    unit: str = "",
    scale_max: float | None = None,
    key: str | None = None,
    figures: bool = False,
) -> Markup:
    """A column per month, left to right, as wide as its box: the scale's top written above
    the plot, a grid line there and at half, the month's short name under each column. A
    month whose value is a word (suppressed) gets no column but a dash, and its word in
    the text alternative and the table; each column carries its figure as a tooltip."""
    key = f"chart-{_slug(key or title)}"
    numbers = [float(p.value) for p in points if isinstance(p.value, int | float)]
    top = scale_max if scale_max is not None else max(numbers, default=0.0)
    summary = "; ".join(f"{p.label}: {value_text(p.value, unit)}" for p in points)
    plot_top = float(LINE + 4)
    base = plot_top + PLOT
    parts = [_text("0", LINE - 4, value_text(_tidy(top), unit), f'fill="{MUTED_FILL}"')]
    for fraction in (0.0, 0.5):
        grid_y = plot_top + PLOT * fraction
        parts.append(
            f'<line x1="0" x2="100%" y1="{grid_y:g}" y2="{grid_y:g}" stroke="{GRID_STROKE}" '
            f'stroke-width="1" stroke-dasharray="4 4"/>'
        )
    slot = 100 / max(len(points), 1)
    for index, point in enumerate(points):
        middle = f"{(index + 0.5) * slot:.2f}%"
        words = escape(f"{point.label}: {value_text(point.value, unit)}")
        if isinstance(point.value, int | float):
            height = PLOT * share(float(point.value), top) / 100
            parts.append(
                f'<rect x="{(index + (1 - COLUMN) / 2) * slot:.2f}%" y="{base - height:.1f}" '
                f'width="{COLUMN * slot:.2f}%" height="{height:.1f}" fill="{BAR_FILL}">'
                f"<title>{words}</title></rect>"
            )
        else:
            parts.append(
                f'<text x="{middle}" y="{base - 8:g}" text-anchor="middle" fill="{MUTED_FILL}" '
                f'font-weight="700"><title>{words}</title>{GAP_MARK}</text>'
            )
        # The first and last names keep inside the picture: anchored at its edges.
        x, anchor = middle, "middle"
        if index == 0 and len(points) > 1:
            x, anchor = "0", "start"
        elif index == len(points) - 1 and len(points) > 1:
            x, anchor = "100%", "end"
        parts.append(
            _text(
                x,
                base + LINE,
                point.short,
                f'text-anchor="{anchor}"',
                f'fill="{TEXT_FILL}"',
                f'class="month-{"odd" if index % 2 else "even"}"',
            )
        )
    parts.append(
        f'<line x1="0" x2="100%" y1="{base:g}" y2="{base:g}" stroke="{AXIS_STROKE}" '
        f'stroke-width="1"/>'
    )
    note = ""
    if any(not isinstance(p.value, int | float) for p in points):
        note = f'<p class="chart-note">{escape(_(GAP_NOTE))}</p>'
    rows = [Row(p.label, p.value) for p in points]
    table = _table(key, title, rows, unit) if figures else ""
    return _figure(key, title, summary, base + LINE + 10, parts, table, note)


class Interval(NamedTuple):
    """One row of an interval chart: a share in per cent (a word when not shown), its 95%
    margin of error in percentage points (None: not known) and its base (the answers)."""

    label: str
    share: Value
    margin: float | None
    base: Value


WHISKER_CAP = 6  # px above and below the whisker's line


def interval_text(row: Interval) -> str:
    """ "71% ± 4.2 points (n = 412)", as the chart, its text alternative and table write it."""
    if not isinstance(row.share, int | float):
        return value_text(row.share)
    if row.margin is None:
        return f"{_tidy(row.share)}% (n = {row.base})"  # no words to translate
    return _("{share}% ± {margin} points (n = {base})").format(
        share=_tidy(row.share), margin=f"{row.margin:.1f}", base=row.base
    )


def interval_chart(
    title: str, rows: Sequence[Interval], *, key: str | None = None, figures: bool = False
) -> Markup:
    """A bar per row on a 0-100% scale with its 95% margin of error drawn as a whisker (a
    dark line with end caps on a white halo, so it shows on the bar and beside it); the
    label above, the figure in words under the label. A row whose share is a word (not
    shown) gets the word and no bar."""
    key = f"chart-{_slug(key or title)}"
    summary = "; ".join(f"{row.label}: {interval_text(row)}" for row in rows)
    parts: list[str] = []
    y = 0.0
    if not rows:
        parts.append(_text("0", y + LINE - 4, _("Nothing to show"), f'fill="{MUTED_FILL}"'))
        y += LINE + GAP
    for row in rows:
        parts.append("<g>")
        for line in _lines(row.label):
            y += LINE
            parts.append(_text("0", y - 5, line, f'fill="{TEXT_FILL}"'))
        y += LINE
        parts.append(
            _text("0", y - 5, interval_text(row), f'fill="{TEXT_FILL}"', 'font-weight="700"')
        )
        y += 3
        if isinstance(row.share, int | float):
            parts.extend(_interval_bar(row, float(row.share), y))
        y += BAR + GAP
        parts.append("</g>")
    parts.extend(_scale(y, 100, "%"))
    y += AXIS_HEIGHT
    table = (
        _table(key, title, [Row(row.label, interval_text(row)) for row in rows], "")
        if figures
        else ""
    )
    return _figure(key, title, summary, y, parts, table)


def _interval_bar(row: Interval, value: float, y: float) -> list[str]:
    percent = share(value, 100)
    parts = [f'<rect x="0" y="{y:g}" width="{percent:.1f}%" height="{BAR}" fill="{BAR_FILL}"/>']
    if row.margin is None:
        return parts
    low, high = share(value - row.margin, 100), share(value + row.margin, 100)
    middle = y + BAR / 2
    for stroke, width in (("#ffffff", 5), (TEXT_FILL, 2)):  # the halo, then the whisker
        parts.append(
            f'<line x1="{low:.1f}%" x2="{high:.1f}%" y1="{middle:g}" y2="{middle:g}" '
            f'stroke="{stroke}" stroke-width="{width}"/>'
        )
        parts.extend(
            f'<line x1="{end:.1f}%" x2="{end:.1f}%" y1="{middle - WHISKER_CAP:g}" '
            f'y2="{middle + WHISKER_CAP:g}" stroke="{stroke}" stroke-width="{width}"/>'
            for end in (low, high)
        )
    return parts
