"""Bar charts as SVG text, drawn on the server: no script, no style element, every label escaped.

Why not a chart library: pygal (the maintained one that writes SVG) puts its look in an
inline ``<style>`` element and its tooltips in scripts. The dashboard's
Content-Security-Policy (``default-src 'self'``) blocks both, so its charts would show
unstyled (black shapes) unless the policy were loosened. Horizontal bars need little
drawing; here the look is in presentation attributes (``fill``), which the policy allows.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 110
ROW = 26
BAR = 18
TOP = 8
LABEL_MAX = 32
BAR_FILL = "#2f5d8a"
TEXT_FILL = "#1c1c1c"
MUTED_FILL = "#666666"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, int | float | str]],
    *,
    unit: str = "",
    scale_max: float | None = None,
) -> Markup:
    """A horizontal bar per row; a row whose value is a word (suppressed) gets the word."""
    numbers = [float(value) for _, value in rows if isinstance(value, int | float)]
    top = scale_max if scale_max is not None else max(numbers, default=0.0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP * 2 + ROW * max(len(rows), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not rows:
        parts.append(
            f'<text x="0" y="{TOP + BAR}" font-size="13" fill="{MUTED_FILL}">Nothing to show</text>'
        )
    for index, (label, value) in enumerate(rows):
        y = TOP + index * ROW
        text_y = y + BAR - 4
        parts.append(
            f"<g><title>{escape(label)}: {escape(_value_text(value, unit))}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" font-size="13" text-anchor="end" '
            f'fill="{TEXT_FILL}">{escape(_short(label))}</text>'
        )
        if isinstance(value, int | float):
            length = room * float(value) / top if top > 0 else 0.0
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" '
                f'fill="{BAR_FILL}"/>'
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{text_y}" font-size="13" '
                f'fill="{TEXT_FILL}">{escape(_value_text(value, unit))}</text>'
            )
        else:
            parts.append(
                f'<text x="{LABEL_WIDTH + 6}" y="{text_y}" font-size="13" font-style="italic" '
                f'fill="{MUTED_FILL}">{escape(value or "none")}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and value above is escaped


def _value_text(value: int | float | str, unit: str) -> str:
    return f"{value}{unit}" if isinstance(value, int | float) else str(value)
