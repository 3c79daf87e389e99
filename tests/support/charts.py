"""Reading a chart (``bot.web.charts``) back out of a page, as a test checks it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Chart:
    """What a chart says: its visible title (its name), its text alternative, its bars'
    widths and values as drawn, and the rows of its figures table (empty without one)."""

    title: str
    desc: str
    bars: list[str]
    rows: list[tuple[str, ...]]


def parse(markup: str) -> tuple[ET.Element, ET.Element]:
    """One chart's markup as XML: its wrapper and its SVG (well-formed, or this raises)."""
    wrapper = ET.fromstring(markup)
    (svg,) = wrapper.iter(f"{SVG}svg")
    return wrapper, svg


def chart_on(page: str, key: str) -> Chart:
    """The chart whose ids start ``chart-{key}`` in the HTML ``page``; fails if none."""
    found = re.search(rf'<div class="chart" id="chart-{key}">.*?</div>', page, re.S)
    assert found, f"no {key} chart on the page"
    wrapper, svg = parse(found.group(0))
    assert svg.get("role") == "img"
    title = wrapper.find(f"p[@id='{svg.get('aria-labelledby')}']")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert desc.get("id") == svg.get("aria-describedby")
    table = wrapper.find("details/table")
    rows = (
        []
        if table is None
        else [tuple("".join(c.itertext()) for c in r) for r in table.iter("tr")][1:]
    )
    return Chart(
        title="".join(title.itertext()),
        desc=desc.text or "",
        bars=[rect.get("width", "") for rect in svg.iter(f"{SVG}rect") if rect.get("y")],
        rows=rows,
    )
