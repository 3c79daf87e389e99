"""The SVG bar charts: well-formed, escaped, no script or style, as wide as their box with
text at a fixed readable size, named and described in words, suppressed rows bare, zero
totals drawn without dividing by zero."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.web.charts import FONT, TONES, bar_chart, share
from tests.support.charts import SVG, parse


def parts(chart: str) -> tuple[ET.Element, ET.Element, ET.Element | None]:
    """The chart's wrapper, its SVG and its figures table (if any), parsed as XML."""
    wrapper, svg = parse(chart)
    return wrapper, svg, wrapper.find("details/table")


def test_a_chart_is_svg_with_a_bar_per_number_and_words_for_hidden_rows() -> None:
    chart = str(
        bar_chart(
            'Residents "by" <area>',
            [("<script>alert(1)</script>", 10), ("Oak & Elm", "fewer than 5"), ("Zero", 0)],
        )
    )
    wrapper, svg, table = parts(chart)
    assert not list(svg.iter(f"{SVG}script"))
    assert not list(svg.iter(f"{SVG}style"))
    assert all("style" not in element.attrib for element in wrapper.iter())
    assert [bar.get("width") for bar in svg.iter(f"{SVG}rect") if bar.get("y")] == [
        "100.0%",
        "0.0%",
    ]
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts
    assert "fewer than 5" in texts and "Oak & Elm" in texts
    assert "<script>" not in chart
    assert table is None  # only when asked for


def test_it_fills_its_box_with_fixed_size_text_and_a_name_and_description() -> None:
    wrapper, svg, _ = parts(str(bar_chart("Feedback by category", [("Repairs", 7), ("ASB", 2)])))
    # No viewBox: the drawing does not scale, so its 16 px text stays 16 px at any width.
    assert svg.get("width") == "100%" and svg.get("viewBox") is None
    assert svg.get("font-size") == str(FONT) == "16"
    assert int(svg.get("height", "0")) > 100
    assert all(int(t.get("font-size", FONT)) >= 16 for t in svg.iter(f"{SVG}text"))
    assert svg.get("role") == "img"
    title = wrapper.find(f"p[@id='{svg.get('aria-labelledby')}']")
    assert title is not None and "".join(title.itertext()) == "Feedback by category"
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.get("id") == svg.get("aria-describedby")
    assert desc.text == "Repairs: 7; ASB: 2."
    # The scale along the foot: 0 to the largest figure.
    assert [t.text for t in svg.iter(f"{SVG}text")][-2:] == ["0", "7"]


def test_long_labels_wrap_and_percentages_use_a_fixed_scale() -> None:
    label = "Resolved or closed before it was due, not recorded as done, and more words"
    _, svg, _ = parts(str(bar_chart("Shares", [(label, 50.0)], unit="%", scale_max=100)))
    (bar,) = (rect for rect in svg.iter(f"{SVG}rect") if rect.get("y"))
    assert bar.get("width") == "50.0%"
    texts = [text.text or "" for text in svg.iter(f"{SVG}text")]
    assert "50.0%" in texts and "100%" in texts
    lines = [text for text in texts if text.startswith(("Resolved", "due"))]
    assert len(lines) == 2 and all(len(line) <= 34 for line in lines)
    assert lines[1].endswith("…")
    # The whole label stays in the text alternative.
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and label in (desc.text or "")


def test_figures_come_as_a_table_and_tones_as_colour_and_hatching() -> None:
    chart = str(
        bar_chart(
            "Delivery",
            [("Sent", 3, "good"), ("Failed", 1, "bad"), ("Skipped", 0, "muted")],
            scale_max=4,
            figures=True,
            key="delivery",
        )
    )
    wrapper, svg, table = parts(chart)
    assert wrapper.get("id") == "chart-delivery"
    assert table is not None
    assert [("".join(row.itertext())) for row in table.iter("tr")][1:] == [
        "Sent3",
        "Failed1",
        "Skipped0",
    ]
    fills = [rect.get("fill") for rect in svg.iter(f"{SVG}rect") if rect.get("y")]
    assert fills == [TONES["good"], TONES["bad"], "url(#chart-delivery-hatch)", TONES["muted"]]
    assert svg.find(f".//{SVG}pattern[@id='chart-delivery-hatch']") is not None


def test_zero_totals_draw_empty_bars_without_dividing_by_zero() -> None:
    assert share(0, 0) == 0.0 and share(5, 0) == 0.0 and share(7, 5) == 100.0
    _, svg, table = parts(str(bar_chart("Nobody yet", [("Sent", 0), ("Failed", 0)], figures=True)))
    assert [rect.get("width") for rect in svg.iter(f"{SVG}rect") if rect.get("y")] == [
        "0.0%",
        "0.0%",
    ]
    assert table is not None and "Sent" in "".join(table.itertext())
    _, svg, _ = parts(str(bar_chart("Zero scale", [("Sent", 3)], scale_max=0)))
    assert [rect.get("width") for rect in svg.iter(f"{SVG}rect") if rect.get("y")] == ["0.0%"]


def test_an_empty_chart_says_so() -> None:
    _, svg, _ = parts(str(bar_chart("Nothing", [])))
    assert [text.text for text in svg.iter(f"{SVG}text")] == ["Nothing to show"]
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text == "Nothing to show."
