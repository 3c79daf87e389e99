"""The report's SVG bar charts: well-formed, escaped, no script or style, suppressed rows bare."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.reports.charts import LABEL_WIDTH, VALUE_WIDTH, WIDTH, bar_chart

SVG = "{http://www.w3.org/2000/svg}"
ROOM = WIDTH - LABEL_WIDTH - VALUE_WIDTH  # the longest bar


def test_a_chart_is_svg_with_a_bar_per_number_and_words_for_hidden_rows() -> None:
    svg = bar_chart(
        'Residents "by" <area>',
        [("<script>alert(1)</script>", 10), ("Oak & Elm", "fewer than 5"), ("Zero", 0)],
    )
    root = ET.fromstring(str(svg))  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    assert root.get("aria-label") == 'Residents "by" <area>'
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}style"))
    assert all("style" not in element.attrib for element in root.iter())
    bars = list(root.iter(f"{SVG}rect"))
    assert [float(bar.get("width", "")) for bar in bars] == [ROOM, 0.0]
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts
    assert "fewer than 5" in texts and "Oak & Elm" in texts
    assert "<script>" not in str(svg)


def test_long_labels_are_cut_and_percentages_use_a_fixed_scale() -> None:
    svg = bar_chart("Shares", [("x" * 80, 50.0)], unit="%", scale_max=100)
    root = ET.fromstring(str(svg))
    (bar,) = root.iter(f"{SVG}rect")
    assert float(bar.get("width", "")) == ROOM / 2
    texts = [text.text or "" for text in root.iter(f"{SVG}text")]
    assert "50.0%" in texts
    assert any(text.endswith("…") and len(text) == 32 for text in texts)
    # The whole label stays in the tooltip.
    assert any(("x" * 80) in (title.text or "") for title in root.iter(f"{SVG}title"))


def test_an_empty_chart_says_so() -> None:
    root = ET.fromstring(str(bar_chart("Nothing", [])))
    assert [text.text for text in root.iter(f"{SVG}text")] == ["Nothing to show"]
