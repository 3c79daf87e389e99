"""An announcement's page draws its delivery report as a chart beside the counts: a bar per
outcome, out of all the recipients, with the same figures in words.

Held at noon on Wednesday 2 December 2026 in London (outside quiet hours, no clock change),
so "now", the sent times and the rows held until later are the same on every run."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from bot.broadcasts.report import Counts
from bot.broadcasts.web.listing import delivery_chart
from bot.models import Delivery
from bot.models.base import utcnow
from tests.broadcasts.web.test_announcements import preview
from tests.support.broadcasts import (
    Places,
    add_resident,
    confirm_on_dashboard,
    draft_id_of,
    sessions_of,
    staff_client,
)
from tests.support.charts import chart_on
from tests.support.web import Web


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/London")), tick=True)
async def test_the_chart_matches_the_counts_of_each_outcome(web: Web, places: Places) -> None:
    news = places.topics["news"]
    for n in range(8):
        await add_resident(sessions_of(web), 620_000 + n, area=places.riverside, topics=[news])
    client, _member = await staff_client(web)
    status, page = await preview(client, text="Bins on Thursday", when="now")
    assert status == 200
    draft = draft_id_of(page)
    assert (await confirm_on_dashboard(client, draft))[0] == 303
    now = utcnow()
    outcomes: list[dict[str, Any]] = [
        {"status": "sent", "sent_at": now, "attempts": 1},
        {"status": "sent", "sent_at": now, "attempts": 1},
        {"status": "sent", "sent_at": now, "attempts": 1},
        {"status": "failed", "error": "Bad Request: chat not found", "attempts": 1},
        {"status": "failed", "error": "Forbidden: bot was blocked by the user", "attempts": 1},
        {"status": "skipped", "error": "inactive"},
        {"status": "queued", "not_before": now + timedelta(hours=8)},  # quiet hours
        {"status": "queued", "not_before": now + timedelta(hours=8)},
    ]
    async with sessions_of(web).begin() as db:
        rows = (await db.scalars(select(Delivery).order_by(Delivery.resident_id))).all()
        for row, values in zip(rows, outcomes, strict=True):
            for name, value in values.items():
                setattr(row, name, value)
    page = await (await client.get(f"/announcements/{draft}")).text()
    counts = re.sub(r"\s+", " ", page.split('<span class="counts">')[1].split("</p>")[0])
    assert "sent 3" in counts and "failed 1" in counts and "blocked 1" in counts
    chart = chart_on(page, "delivery")
    assert chart.title == "Delivery to 8 recipients"
    assert chart.desc == (
        "Sent: 3; Waiting: 0; Held for quiet hours: 2; Failed: 1; Blocked: 1; Skipped: 1."
    )
    # Out of the 8 recipients; the failed bar is drawn twice (its colour, then hatching).
    assert chart.bars == ["37.5%", "0.0%", "25.0%", "12.5%", "12.5%", "12.5%", "12.5%"]
    assert chart.rows == []  # the counts beside it already say it in words


def test_a_sending_to_nobody_draws_empty_bars() -> None:
    chart = chart_on(str(delivery_chart(Counts())), "delivery")
    assert chart.title == "Delivery to 0 recipients"
    assert set(chart.bars) == {"0.0%"} and len(chart.bars) == 6
    assert chart.desc.startswith("Sent: 0; Waiting: 0;")
