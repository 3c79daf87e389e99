"""The SVG bar charts: well-formed, escaped, no script or style, as wide as their box with
text at a fixed readable size, named and described in words, suppressed rows bare, zero
totals drawn without dividing by zero."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.web.charts import (
    FONT,
    PLOT,
    TONES,
    Interval,
    Point,
    bar_chart,
    interval_chart,
    interval_text,
    share,
    trend_chart,
)
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


def test_a_trend_chart_has_a_column_per_month_and_a_dash_never_a_zero_for_a_hidden_one() -> None:
    points = [
        Point("January 2026", 10, "Jan"),
        Point("February 2026", "fewer than 5", "Feb"),
        Point("March 2026", 5, "Mar"),
        Point("April 2026", 0, "Apr"),
    ]
    wrapper, svg, table = parts(str(trend_chart("Reports <opened>", points, figures=True)))
    assert svg.get("width") == "100%" and svg.get("viewBox") is None
    assert all(int(t.get("font-size", FONT)) >= 16 for t in svg.iter(f"{SVG}text"))
    assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter(f"{SVG}style"))
    columns = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("y")]
    # Three columns (zero has no height), placed across in percentages, none for February.
    assert [c.get("x") for c in columns] == ["4.50%", "54.50%", "79.50%"]
    assert [float(c.get("height", "")) for c in columns] == [PLOT, PLOT / 2, 0.0]
    assert all(c.get("width", "").endswith("%") for c in columns)
    titles = [c.findtext(f"{SVG}title") for c in columns]
    assert titles == ["January 2026: 10", "March 2026: 5", "April 2026: 0"]
    dash = next(t for t in svg.iter(f"{SVG}text") if t.findtext(f"{SVG}title"))
    assert dash.get("x") == "37.50%" and "".join(dash.itertext()).endswith("–")
    assert dash.findtext(f"{SVG}title") == "February 2026: fewer than 5"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[0] == "10" and {"Jan", "Feb", "Mar", "Apr"} <= set(texts)
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text == (
        "January 2026: 10; February 2026: fewer than 5; March 2026: 5; April 2026: 0."
    )
    note = wrapper.find("p[@class='chart-note']")
    assert note is not None and "dash" in (note.text or "")
    assert table is not None
    assert [("".join(r.itertext())) for r in table.iter("tr")][1:3] == [
        "January 202610",
        "February 2026fewer than 5",
    ]
    # Shares on a fixed 0-100 scale, and no note without a gap.
    wrapper, svg, _ = parts(
        str(trend_chart("Shares", [Point("May 2026", 80.0, "May")], unit="%", scale_max=100))
    )
    (column,) = (rect for rect in svg.iter(f"{SVG}rect") if rect.get("y"))
    assert float(column.get("height", "")) == PLOT * 0.8
    assert next(t.text for t in svg.iter(f"{SVG}text")) == "100%"
    assert wrapper.find("p[@class='chart-note']") is None


def test_an_interval_chart_draws_the_margin_as_a_whisker_and_says_it_in_words() -> None:
    rows = [
        Interval("TP01: Overall satisfaction", 71.0, 4.2, 412),
        Interval("TP02: Repairs", "not enough answers", None, 3),
        Interval("TP03: Time taken", 98.0, 4.0, 50),
    ]
    assert interval_text(rows[0]) == "71% ± 4.2 points (n = 412)"
    assert interval_text(rows[1]) == "not enough answers"
    assert interval_text(Interval("x", 50.5, None, 9)) == "50.5% (n = 9)"
    wrapper, svg, table = parts(str(interval_chart("TSM", rows, figures=True, key="tsm")))
    assert wrapper.get("id") == "chart-tsm"
    bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("y")]
    assert [bar.get("width") for bar in bars] == ["71.0%", "98.0%"]  # none for a word
    whiskers = [
        (line.get("x1"), line.get("x2"))
        for line in svg.iter(f"{SVG}line")
        if line.get("stroke-width") == "2" and line.get("x1") != line.get("x2")
    ]
    # 71 - 4.2 to 71 + 4.2; the second stops at the scale's end.
    assert whiskers == [("66.8%", "75.2%"), ("94.0%", "100.0%")]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "71% ± 4.2 points (n = 412)" in texts and "not enough answers" in texts
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text == (
        "TP01: Overall satisfaction: 71% ± 4.2 points (n = 412); TP02: Repairs: not enough "
        "answers; TP03: Time taken: 98% ± 4.0 points (n = 50)."
    )
    assert svg.get("viewBox") is None and svg.get("role") == "img"
    assert table is not None
    assert [("".join(r.itertext())) for r in table.iter("tr")][1] == (
        "TP01: Overall satisfaction71% ± 4.2 points (n = 412)"
    )
