"""The feedback export: columns, dates, anonymity, formula safety, Unicode and streaming."""

from __future__ import annotations

import csv
import io
import random
import tracemalloc
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feedback import clocks
from bot.feedback.draft import ReportDraft
from bot.feedback.export import BATCH_SIZE, HEADER, export_feedback
from bot.feedback.privacy import ERASED_TEXT, anonymise_reports_of
from bot.feedback.reports import submit_report
from bot.models import Feedback, Neighbourhood, Resident
from bot.residents.privacy import forget_resident
from bot.residents.service import clean_name, register_resident
from bot.tables import CsvWriter, ExportFormat, csv_text, neutralise

TZ = ZoneInfo("Europe/London")
REGION = "england-and-wales"
Sessions = async_sessionmaker[AsyncSession]

EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")

TELEGRAM_USER_ID = 987_654_321_012
CHAT_ID = 555_000_111_222


# ---------------------------------------------------------------- helpers


async def add_neighbourhood(
    session: AsyncSession, name: str, code: str = "riverside"
) -> Neighbourhood:
    neighbourhood = Neighbourhood(code=code, name=name, active=True)
    session.add(neighbourhood)
    await session.flush()
    return neighbourhood


async def add_resident(
    session: AsyncSession,
    telegram_user_id: int,
    *,
    name: str | None = None,
    neighbourhood: Neighbourhood | None = None,
    chat_id: int | None = None,
) -> Resident:
    resident = await register_resident(
        session, telegram_user_id, chat_id or telegram_user_id, "en", neighbourhood
    )
    if name is not None:
        resident.display_name = clean_name(name)
    await session.flush()
    return resident


async def add_report(
    session: AsyncSession,
    resident: Resident,
    description: str,
    *,
    received_at: datetime,
    category: str = "repairs",
    shares_name: bool = False,
    **draft: Any,
) -> Feedback:
    return await submit_report(
        session,
        resident,
        ReportDraft(
            category=category,
            description=description,
            shares_name=shares_name,
            aware_at=received_at.isoformat(),
            **draft,
        ),
        tz=TZ,
        region=REGION,
    )


async def export_csv(sessions: Sessions, **options: Any) -> tuple[int, bytes, list[dict[str, str]]]:
    """Export as CSV; the count, the raw bytes and the rows keyed by header."""
    buffer = io.BytesIO()
    count = await export_feedback(sessions, buffer, "csv", tz=TZ, **options)
    assert not buffer.closed, "the caller's file must stay open"
    raw = buffer.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header = next(reader)
    assert tuple(header) == HEADER
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert len(rows) == count
    return count, raw, rows


async def export_xlsx(
    sessions: Sessions, **options: Any
) -> tuple[int, Worksheet, list[dict[str, Any]]]:
    """Export as XLSX; the count, the worksheet and the cells keyed by header."""
    buffer = io.BytesIO()
    count = await export_feedback(sessions, buffer, "xlsx", tz=TZ, **options)
    buffer.seek(0)
    sheet = openpyxl.load_workbook(buffer).active
    assert isinstance(sheet, Worksheet)
    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == HEADER
    rows = [
        {name: cell for name, cell in zip(HEADER, row, strict=False)}
        for row in sheet.iter_rows(min_row=2)
    ]
    assert len(rows) == count
    return count, sheet, rows


def excel_text(value: Any) -> Any:
    """A cell's text as Excel shows it: openpyxl leaves _xHHHH_ escapes in inline strings."""
    return unescape(value) if isinstance(value, str) else value


def xlsx_values(rows: list[dict[str, Any]], column: str) -> list[Any]:
    return [excel_text(row[column].value) for row in rows]


# ---------------------------------------------------------------- columns and values


async def test_csv_has_every_column_with_the_right_values(sessions: Sessions) -> None:
    received = datetime(2026, 3, 10, 9, 15, 30, 123456, tzinfo=UTC)  # GMT: local == UTC
    async with sessions.begin() as s:
        riverside = await add_neighbourhood(s, "Riverside Estate")
        amira = await add_resident(
            s, TELEGRAM_USER_ID, name="Amira Khan", neighbourhood=riverside, chat_id=CHAT_ID
        )
        await add_report(
            s,
            amira,
            "The stairwell light has been broken for a week",
            category="complaint",
            shares_name=True,
            received_at=received,
            photos=[("file-a", "uniq-a"), ("file-b", "uniq-b")],
            latitude=51.5072,
            longitude=-0.1276,
        )
        await add_report(
            s,
            amira,
            "Water pouring through the ceiling",
            received_at=received + timedelta(hours=1),
            urgent=True,
        )
        await add_report(
            s,
            amira,
            "Black mould in the bedroom",
            category="damp_mould",
            received_at=received + timedelta(hours=2),
        )

    count, raw, rows = await export_csv(sessions, now=received + timedelta(hours=3))
    assert count == 3
    due = clocks.complaint_due_dates(received, TZ, REGION)
    complaint, urgent, damp = rows
    assert complaint == {
        "reference": "FB-2026-00001",
        "category": "Complaint",
        "status": "new",
        "status_words": "Received - waiting to be looked at",
        "neighbourhood": "Riverside Estate",
        "is_complaint": "yes",
        "complaint_stage": "1",
        "urgent": "no",
        "hazard_kind": "",
        "received": "2026-03-10T09:15:30+00:00",
        "acknowledged": "",
        "resolved": "",
        "closed": "",
        "acknowledge_due": due.acknowledge_by.isoformat(),
        "response_due": due.respond_by.isoformat(),
        "make_safe_due": "",
        "investigate_due": "",
        "investigated": "",
        "summary_due": "",
        "summary_sent": "",
        "safety_work_due": "",
        "safety_work_done": "",
        "preventive_works_due": "",
        "preventive_works_started": "",
        "alternative_accommodation": "",
        "overdue": "no",
        "anonymous": "no",
        "reporter_name": "Amira Khan",
        "text": "The stairwell light has been broken for a week",
        "latitude": "51.5072",
        "longitude": "-0.1276",  # a number, so not neutralised
        "photos": "2",
    }
    assert urgent["category"] == "Repairs"
    assert urgent["urgent"] == "yes"
    assert urgent["hazard_kind"] == "emergency"
    assert urgent["make_safe_due"] == "2026-03-11T10:15:30+00:00"
    assert urgent["is_complaint"] == "no"
    assert urgent["complaint_stage"] == ""
    assert urgent["anonymous"] == "yes"
    assert urgent["reporter_name"] == ""
    assert urgent["photos"] == "0"
    assert damp["category"] == "Damp and mould"
    assert damp["hazard_kind"] == "damp_mould"
    assert (
        damp["investigate_due"] == clocks.damp_investigation_due(received, TZ, REGION).isoformat()
    )
    # No Telegram identity ever leaves in an export.
    assert str(TELEGRAM_USER_ID).encode() not in raw
    assert str(CHAT_ID).encode() not in raw


async def test_overdue_means_an_open_report_past_a_deadline(sessions: Sessions) -> None:
    received = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    async with sessions.begin() as s:
        resident = await add_resident(s, 1001)
        complaint = await add_report(
            s, resident, "Complaint", category="complaint", received_at=received
        )
        urgent = await add_report(s, resident, "Leak", urgent=True, received_at=received)
        damp = await add_report(s, resident, "Mould", category="damp_mould", received_at=received)
        plain = await add_report(
            s, resident, "Suggestion", category="suggestion", received_at=received
        )
        ids = [complaint.id, urgent.id, damp.id, plain.id]

    due = clocks.complaint_due_dates(received, TZ, REGION)
    investigate_by = clocks.damp_investigation_due(received, TZ, REGION)
    assert due.acknowledge_by < investigate_by < due.respond_by

    def morning_after(day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(9), tzinfo=TZ)

    async def overdue(now: datetime) -> list[str]:
        _, _, rows = await export_csv(sessions, now=now)
        return [row["overdue"] for row in rows]

    # 23 hours on nothing is late; 25 hours on the emergency's make-safe clock has run out.
    assert await overdue(received + timedelta(hours=23)) == ["no", "no", "no", "no"]
    assert await overdue(received + timedelta(hours=25)) == ["no", "yes", "no", "no"]
    # On the acknowledgement deadline itself the complaint is not late; the day after it is.
    assert await overdue(datetime.combine(due.acknowledge_by, time(23, 59), tzinfo=TZ)) == [
        "no",
        "yes",
        "no",
        "no",
    ]
    assert await overdue(morning_after(due.acknowledge_by)) == ["yes", "yes", "no", "no"]
    # Acknowledging it stops that clock until the response is due.
    async with sessions.begin() as s:
        await s.execute(
            update(Feedback)
            .where(Feedback.id == ids[0])
            .values(status="acknowledged", acknowledged_at=received + timedelta(days=1))
        )
    assert await overdue(morning_after(due.acknowledge_by)) == ["no", "yes", "no", "no"]
    assert await overdue(morning_after(investigate_by)) == ["no", "yes", "yes", "no"]
    assert await overdue(morning_after(due.respond_by)) == ["yes", "yes", "yes", "no"]
    # Finished reports are never overdue.
    async with sessions.begin() as s:
        await s.execute(update(Feedback).where(Feedback.id.in_(ids[:2])).values(status="resolved"))
        await s.execute(update(Feedback).where(Feedback.id == ids[2]).values(status="closed"))
    assert await overdue(morning_after(due.respond_by)) == ["no", "no", "no", "no"]


async def test_xlsx_has_typed_cells_bold_frozen_header_and_widths(sessions: Sessions) -> None:
    received = datetime(2026, 4, 2, 8, 5, 9, 999999, tzinfo=UTC)  # BST: 09:05:09 local
    async with sessions.begin() as s:
        riverside = await add_neighbourhood(s, "Riverside Estate")
        amira = await add_resident(
            s, TELEGRAM_USER_ID, name="Amira", neighbourhood=riverside, chat_id=CHAT_ID
        )
        await add_report(
            s,
            amira,
            "Broken lift",
            category="complaint",
            shares_name=True,
            received_at=received,
            photos=[("f", "u")],
            latitude=51.5,
            longitude=-0.12,
        )

    count, sheet, rows = await export_xlsx(sessions, now=received)
    assert count == 1
    (row,) = rows
    assert row["reference"].value == "FB-2026-00001"
    assert row["category"].value == "Complaint"
    assert row["neighbourhood"].value == "Riverside Estate"
    assert row["reporter_name"].value == "Amira"
    assert row["anonymous"].value == "no"
    assert row["is_complaint"].value == "yes"
    assert row["complaint_stage"].value == 1
    assert row["received"].value == datetime(2026, 4, 2, 9, 5, 9)  # local time, whole seconds
    assert row["received"].is_date
    assert row["received"].number_format == "yyyy-mm-dd hh:mm:ss"
    ack_by = clocks.complaint_due_dates(received, TZ, REGION).acknowledge_by
    assert row["acknowledge_due"].value == datetime.combine(ack_by, time())
    assert row["acknowledge_due"].number_format == "yyyy-mm-dd"
    assert row["acknowledged"].value is None
    assert row["latitude"].value == pytest.approx(51.5)
    assert row["longitude"].value == pytest.approx(-0.12)
    assert row["longitude"].data_type == "n"
    assert row["photos"].value == 1
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    text_column = get_column_letter(HEADER.index("text") + 1)
    assert sheet.column_dimensions[text_column].width > 50
    for cell in sheet[2]:
        assert str(TELEGRAM_USER_ID) not in str(cell.value)
        assert str(CHAT_ID) not in str(cell.value)


# ---------------------------------------------------------------- date range


async def test_since_and_until_are_inclusive_local_dates(sessions: Sessions) -> None:
    moments = {
        "march_31_late": datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 23:30 BST, 31 March
        "april_1_early": datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # 00:30 BST, 1 April
        "april_30_late": datetime(2026, 4, 30, 22, 59, tzinfo=UTC),  # 23:59 BST, 30 April
        "may_1_early": datetime(2026, 4, 30, 23, 0, tzinfo=UTC),  # 00:00 BST, 1 May
    }
    async with sessions.begin() as s:
        resident = await add_resident(s, 2001)
        # Inserted out of order: the export sorts by when each report arrived.
        for label in ["may_1_early", "april_1_early", "march_31_late", "april_30_late"]:
            await add_report(s, resident, label, received_at=moments[label])

    async def texts(**options: Any) -> list[str]:
        _, _, rows = await export_csv(sessions, **options)
        return [row["text"] for row in rows]

    april_1, april_30 = date(2026, 4, 1), date(2026, 4, 30)
    assert await texts(since=april_1, until=april_30) == ["april_1_early", "april_30_late"]
    assert await texts(since=april_1) == ["april_1_early", "april_30_late", "may_1_early"]
    assert await texts(until=date(2026, 3, 31)) == ["march_31_late"]
    assert await texts(since=april_1, until=april_1) == ["april_1_early"]
    assert await texts() == ["march_31_late", "april_1_early", "april_30_late", "may_1_early"]
    _, _, rows = await export_csv(sessions, since=april_1, until=april_1)
    assert rows[0]["received"] == "2026-04-01T00:30:00+01:00"
    _, _, xrows = await export_xlsx(sessions, since=april_1, until=april_30)
    assert xlsx_values(xrows, "text") == ["april_1_early", "april_30_late"]
    assert xlsx_values(xrows, "received") == [
        datetime(2026, 4, 1, 0, 30),
        datetime(2026, 4, 30, 23, 59),
    ]


# ---------------------------------------------------------------- anonymity


async def test_names_only_when_shared_and_never_after_forgetting(sessions: Sessions) -> None:
    received = datetime(2026, 5, 5, 10, tzinfo=UTC)
    async with sessions.begin() as s:
        private = await add_resident(s, 3001, name="Private Person")
        sharer = await add_resident(s, 3002, name="Sam Sharer")
        nameless = await add_resident(s, 3003)
        await add_report(s, private, "did not share", received_at=received)
        await add_report(
            s,
            sharer,
            "shared my name",
            shares_name=True,
            received_at=received + timedelta(minutes=1),
        )
        await add_report(
            s,
            sharer,
            "shared complaint",
            category="complaint",
            shares_name=True,
            received_at=received + timedelta(minutes=2),
        )
        await add_report(
            s,
            nameless,
            "no name to share",
            shares_name=True,
            received_at=received + timedelta(minutes=3),
        )
        sharer_id = sharer.id

    _, _, rows = await export_csv(sessions)
    assert [(r["reporter_name"], r["anonymous"]) for r in rows] == [
        ("", "yes"),
        ("Sam Sharer", "no"),
        ("Sam Sharer", "no"),
        ("", "yes"),
    ]
    _, _, xrows = await export_xlsx(sessions)
    assert xlsx_values(xrows, "reporter_name") == [None, "Sam Sharer", "Sam Sharer", None]

    async with sessions.begin() as s:
        sharer = await s.get_one(Resident, sharer_id)
        await anonymise_reports_of(s, sharer.id)
        await forget_resident(s, sharer)

    _, raw, rows = await export_csv(sessions)
    assert [(r["reporter_name"], r["anonymous"]) for r in rows] == [("", "yes")] * 4
    assert [r["text"] for r in rows] == [
        "did not share",
        ERASED_TEXT,
        "shared complaint",
        "no name to share",
    ]
    assert b"Sam Sharer" not in raw
    assert b"Private Person" not in raw
    _, _, xrows = await export_xlsx(sessions)
    assert xlsx_values(xrows, "reporter_name") == [None] * 4
    assert xlsx_values(xrows, "text")[1] == ERASED_TEXT


# ---------------------------------------------------------------- formula injection

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def test_neutralise_prefixes_only_formula_starts() -> None:
    for text in DANGEROUS:
        assert neutralise(text) == "'" + text
    for text in ["", "a = b", "x+1", " =1", "'quoted", "£5", "1-2"]:
        assert neutralise(text) == text


async def test_formulas_are_neutralised_in_both_formats(sessions: Sessions) -> None:
    received = datetime(2026, 6, 1, 12, tzinfo=UTC)
    async with sessions.begin() as s:
        estate = await add_neighbourhood(s, "=cmd|' /C calc'!A0", code="evil")
        resident = await add_resident(s, 4001, name="@Bob", neighbourhood=estate)
        for minute, text in enumerate(DANGEROUS):
            await add_report(
                s,
                resident,
                text,
                shares_name=True,
                received_at=received + timedelta(minutes=minute),
            )

    _, _, rows = await export_csv(sessions)
    assert [r["text"] for r in rows] == ["'" + text for text in DANGEROUS]
    assert {r["neighbourhood"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert {r["reporter_name"] for r in rows} == {"'@Bob"}

    _, _, xrows = await export_xlsx(sessions)
    for row, text in zip(xrows, DANGEROUS, strict=True):
        for column, expected in [
            ("text", "'" + text),
            ("neighbourhood", "'=cmd|' /C calc'!A0"),
            ("reporter_name", "'@Bob"),
        ]:
            cell = row[column]
            assert excel_text(cell.value) == expected
            assert cell.data_type == "s", f"{column} must be a string, not a formula"


# ---------------------------------------------------------------- Unicode and plain text

UNICODE_TEXTS = [
    "Leak 💧🏚️ in flat 4 🙏🏽",
    "الرطوبة في الحمام منذ شهر",
    "יש עובש בקיר של חדר השינה",
    "Family 👩‍👩‍👧‍👦 and flag 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "Caf\u0065\u0301 and n\u0303 and Z\u0335\u0321a\u0336lgo",
    'Line one\nline two, "quoted", comma',
    "Mixed עברית and English \u200f(RTL mark)\u200e and \u200d joiner",
]
PLAIN_TEXTS = ["<script>alert(1)</script>", "'); DROP TABLE feedback;--"]


async def test_unicode_markup_and_sql_round_trip_exactly(
    sessions: Sessions, artifacts_dir: Path
) -> None:
    received = datetime(2026, 7, 1, 12, tzinfo=UTC)
    texts = UNICODE_TEXTS + PLAIN_TEXTS + DANGEROUS
    async with sessions.begin() as s:
        resident = await add_resident(s, 5001, name="Zoë Ōtsuka-Ñúñez 😀")
        for minute, text in enumerate(texts):
            await add_report(
                s,
                resident,
                text,
                shares_name=True,
                received_at=received + timedelta(minutes=minute),
            )

    exported = [neutralise(text) for text in texts]
    _, _, rows = await export_csv(sessions)
    assert [r["text"] for r in rows] == exported
    assert {r["reporter_name"] for r in rows} == {"Zoë Ōtsuka-Ñúñez 😀"}
    _, _, xrows = await export_xlsx(sessions)
    assert xlsx_values(xrows, "text") == exported
    assert all(row["text"].data_type == "s" for row in xrows)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Feedback)) == len(texts)
    # A sample of each format for a person to open in a spreadsheet.
    for fmt in EXPORT_FORMATS:
        with (artifacts_dir / f"feedback-export-sample.{fmt}").open("wb") as output:
            await export_feedback(sessions, output, fmt, tz=TZ)


def test_csv_is_byte_for_byte_what_the_csv_module_writes() -> None:
    """The exporter quotes text and joins CSV lines itself (csv.writer is slow on long
    text): the same bytes as csv.writer writes for the neutralised cells."""
    pool: list[Any] = [
        None,
        0,
        2,
        -7,
        12_345_678_901_234,
        0.1,
        -0.18363307502394466,
        1e-05,
        1e22,
        float("inf"),
        date(2026, 3, 10),
        "",
        "plain",
        "a,b",
        'say "hi"',
        '"',
        '""',
        "line\nbreak",
        "cr\ronly",
        "crlf\r\n",
        " leading and trailing ",
        "tab\there",
        "semi;colon",
        "back\\slash",
        "x" * 3000 + ',"end"',
        *UNICODE_TEXTS,
        *PLAIN_TEXTS,
        *DANGEROUS,
        '=1,"2"',
        "-\n",
    ]
    rnd = random.Random(5)
    rows = [HEADER] + [tuple(rnd.choice(pool) for _ in HEADER) for _ in range(2000)]
    expected = io.StringIO()
    csv.writer(expected).writerows(
        [neutralise(cell) if isinstance(cell, str) else cell for cell in row] for row in rows
    )
    output = io.BytesIO()
    CsvWriter(output).write_rows(
        [csv_text(cell) if isinstance(cell, str) else cell for cell in row] for row in rows
    )
    assert output.getvalue() == b"\xef\xbb\xbf" + expected.getvalue().encode("utf-8")


async def test_empty_result_is_a_header_only_file(sessions: Sessions) -> None:
    count, raw, rows = await export_csv(sessions)
    assert count == 0
    assert rows == []
    assert raw == b"\xef\xbb\xbf" + ",".join(HEADER).encode() + b"\r\n"
    count, sheet, rows = await export_xlsx(sessions, since=date(2030, 1, 1))
    assert count == 0
    assert sheet.max_row == 1


# ---------------------------------------------------------------- streaming


async def bulk_insert_reports(sessions: Sessions, start: int, count: int) -> None:
    """Quickly add ``count`` ordinary reports (references BULK-<n>), one a minute."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    filler = "The communal door does not close properly and the lock sticks. " * 3
    async with sessions.begin() as s:
        for chunk in range(start, start + count, 2500):
            rows = [
                {
                    "reference": f"BULK-{n:07d}",
                    "category": "repairs",
                    "description": f"{n}: {filler}",
                    "shares_name": False,
                    "status": "new",
                    "is_complaint": False,
                    "urgent": False,
                    "received_at": base + timedelta(minutes=n),
                    "latitude": 51.5,
                    "longitude": -0.12,
                }
                for n in range(chunk, min(chunk + 2500, start + count))
            ]
            await s.execute(insert(Feedback), rows)


async def test_large_exports_write_every_row(sessions: Sessions, tmp_path: Path) -> None:
    await bulk_insert_reports(sessions, 0, 5000)
    for fmt in EXPORT_FORMATS:
        path = tmp_path / f"feedback.{fmt}"
        with path.open("wb") as output:
            assert await export_feedback(sessions, output, fmt, tz=TZ) == 5000
    with (tmp_path / "feedback.csv").open(encoding="utf-8-sig", newline="") as text:
        rows = list(csv.reader(text))
    assert len(rows) == 5001
    assert rows[1][0] == "BULK-0000000"
    assert rows[-1][0] == "BULK-0004999"
    sheet = openpyxl.load_workbook(tmp_path / "feedback.xlsx", read_only=True).active
    assert sheet is not None and sheet.max_row == 5001


async def test_an_export_broken_off_leaves_the_database_usable(sessions: Sessions) -> None:
    """The browser going away mid-download: the error comes out, and nothing is left hanging."""
    await bulk_insert_reports(sessions, 0, 2 * BATCH_SIZE + 10)
    batches = 0

    async def gone() -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise ConnectionResetError("the browser went away")

    output = io.BytesIO()
    with pytest.raises(ConnectionResetError):
        await export_feedback(sessions, output, "csv", tz=TZ, on_batch=gone)
    assert batches == 2
    assert output.getvalue().count(b"\r\n") == 1 + 2 * BATCH_SIZE  # header and two batches
    # The connection went back to the pool clean: more exports and a write work.
    assert (await export_csv(sessions))[0] == 2 * BATCH_SIZE + 10
    await bulk_insert_reports(sessions, 2 * BATCH_SIZE + 10, 1)
    assert (await export_csv(sessions))[0] == 2 * BATCH_SIZE + 11


async def peak_memory_of_export(
    sessions: Sessions, path: Path, fmt: ExportFormat, until: date | None = None
) -> tuple[int, int]:
    """Rows written and the peak growth of Python memory while exporting into a file."""
    with path.open("wb") as output:
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            count = await export_feedback(sessions, output, fmt, tz=TZ, until=until)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return count, peak - baseline


async def test_memory_does_not_grow_with_the_number_of_rows(
    sessions: Sessions, tmp_path: Path
) -> None:
    await bulk_insert_reports(sessions, 0, 5000)
    # Warm up SQLAlchemy's statement cache and lazy imports so they are not measured.
    for fmt in EXPORT_FORMATS:
        with (tmp_path / f"warm.{fmt}").open("wb") as output:
            await export_feedback(sessions, output, fmt, tz=TZ, until=date(2025, 12, 31))
    # XLSX is slower to write under tracemalloc, so it is measured on whole days of
    # reports (one a minute from midnight): 1 day = 1,440 rows, 4 days = 5,760 rows.
    csv_small = await peak_memory_of_export(sessions, tmp_path / "small.csv", "csv")
    xlsx_small = await peak_memory_of_export(
        sessions, tmp_path / "small.xlsx", "xlsx", until=date(2026, 1, 1)
    )
    await bulk_insert_reports(sessions, 5000, 15000)
    csv_large = await peak_memory_of_export(sessions, tmp_path / "large.csv", "csv")
    xlsx_large = await peak_memory_of_export(
        sessions, tmp_path / "large.xlsx", "xlsx", until=date(2026, 1, 4)
    )
    assert (csv_small[0], csv_large[0]) == (5000, 20000)
    assert (xlsx_small[0], xlsx_large[0]) == (1440, 5760)
    margin = 256 * 1024
    for (_, small), (_, large) in [(csv_small, csv_large), (xlsx_small, xlsx_large)]:
        # Keeping every row would make the peak for four times the rows about four times
        # as high; streaming keeps it at about one batch whatever the count.
        assert large < 2 * small + margin, (small, large)
