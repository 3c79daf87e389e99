"""The admins' feedback export: every report as one CSV or XLSX row, streamed.

Rows are read with a server-side cursor and written as they arrive, so memory stays
flat whatever the number of reports. Only columns are selected (no ORM objects), and
nothing that identifies a Telegram account is ever read.

The CLI exports by received date; the dashboard exports what its inbox shows, passing
the inbox's own WHERE conditions and sort (``bot.feedback.inbox.conditions`` and
``sort_order``), so one module holds the columns and the safety rules and the list and
its export cannot disagree. Overdue is the inbox's rule (``overdue_condition``) too.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO, Literal, Protocol
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    and_,
    case,
    false,
    func,
    null,
    select,
    true,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import READ_ONLY
from bot.feedback.inbox import overdue_condition
from bot.feedback.service import CATEGORIES, STATUS_WORDS
from bot.models import Feedback, FeedbackAttachment, Neighbourhood, Resident
from bot.models.base import utcnow

ExportFormat = Literal["csv", "xlsx"]

# One exported value: text, a number, a local date or a local (aware) date and time.
Cell = str | int | float | date | datetime | None

BATCH_SIZE = 1000

# (header, XLSX column width) in the order the columns appear.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("reference", 15),
    ("category", 24),
    ("status", 16),
    ("status_words", 38),
    ("neighbourhood", 24),
    ("is_complaint", 12),
    ("complaint_stage", 15),
    ("urgent", 8),
    ("hazard_kind", 12),
    ("received", 19),
    ("acknowledged", 19),
    ("resolved", 19),
    ("closed", 19),
    ("acknowledge_due", 15),
    ("response_due", 15),
    ("make_safe_due", 19),
    ("investigate_due", 15),
    ("overdue", 9),
    ("anonymous", 10),
    ("reporter_name", 24),
    ("text", 80),
    ("latitude", 11),
    ("longitude", 11),
    ("photos", 8),
)
HEADER: tuple[str, ...] = tuple(name for name, _ in COLUMNS)

# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text that no spreadsheet will run as a formula: a leading apostrophe if needed."""
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def _local_day_start(day: date, tz: ZoneInfo) -> datetime:
    """The moment a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=tz)


def feedback_rows_query(
    since: date | None,
    until: date | None,
    tz: ZoneInfo,
    now: datetime,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnExpressionArgument[Any]] | None,
) -> Select[*tuple[Any, ...]]:
    """The export query: report columns with neighbourhood, shared name and photo count."""
    today = now.astimezone(tz).date()
    photos = (
        select(func.count(FeedbackAttachment.id))
        .where(FeedbackAttachment.feedback_id == Feedback.id)
        .correlate(Feedback)
        .scalar_subquery()
    )
    # The name leaves the database only if the resident chose to share it and still exists,
    # and the report has not been anonymised (which also unlinks it; this is belt and braces).
    reporter_name = case(
        (
            and_(
                Feedback.shares_name.is_(True),
                Feedback.anonymised_at.is_(None),
                Resident.forgotten_at.is_(None),
            ),
            Resident.display_name,
        ),
        else_=null(),
    )
    statement = (
        select(
            Feedback.reference,
            Feedback.category,
            Feedback.status,
            Neighbourhood.name.label("neighbourhood"),
            Feedback.is_complaint,
            Feedback.complaint_stage,
            Feedback.urgent,
            Feedback.hazard_kind,
            Feedback.received_at,
            Feedback.acknowledged_at,
            Feedback.resolved_at,
            Feedback.closed_at,
            Feedback.ack_due_on,
            Feedback.response_due_on,
            Feedback.make_safe_due_at,
            Feedback.investigate_due_on,
            reporter_name.label("reporter_name"),
            Feedback.description,
            Feedback.latitude,
            Feedback.longitude,
            photos.label("photos"),
            case((overdue_condition(now, today), true()), else_=false()).label("overdue"),
        )
        .select_from(Feedback)
        .outerjoin(Neighbourhood, Feedback.neighbourhood_id == Neighbourhood.id)
        .outerjoin(Resident, Feedback.resident_id == Resident.id)
        .where(*where)
        .order_by(*(order_by or (Feedback.received_at, Feedback.id)))
    )
    if since is not None:
        statement = statement.where(Feedback.received_at >= _local_day_start(since, tz))
    if until is not None:
        next_day = until + timedelta(days=1)
        statement = statement.where(Feedback.received_at < _local_day_start(next_day, tz))
    return statement


def yes_no(flag: bool) -> str:
    """ "yes" or "no", as the exports write flags."""
    return "yes" if flag else "no"


def local_time(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored UTC time as local time, to the second."""
    return None if moment is None else moment.astimezone(tz).replace(microsecond=0)


def _cells(row: Row[*tuple[Any, ...]], tz: ZoneInfo) -> tuple[Cell, ...]:
    """One report as export values, in HEADER order."""
    reporter_name: str | None = row.reporter_name
    return (
        row.reference,
        CATEGORIES.get(row.category, row.category),
        row.status,
        STATUS_WORDS.get(row.status, row.status),
        row.neighbourhood,
        yes_no(row.is_complaint),
        row.complaint_stage,
        yes_no(row.urgent),
        row.hazard_kind,
        local_time(row.received_at, tz),
        local_time(row.acknowledged_at, tz),
        local_time(row.resolved_at, tz),
        local_time(row.closed_at, tz),
        row.ack_due_on,
        row.response_due_on,
        local_time(row.make_safe_due_at, tz),
        row.investigate_due_on,
        yes_no(bool(row.overdue)),
        yes_no(not reporter_name),
        reporter_name,
        row.description,
        row.latitude,
        row.longitude,
        int(row.photos or 0),
    )


class RowWriter(Protocol):
    """A table being written: one row at a time, then ``finish``."""

    def write_row(self, cells: Sequence[Cell]) -> None: ...

    def finish(self) -> None: ...


class _CsvWriter:
    """UTF-8 CSV with a byte-order mark, so Excel reads the characters correctly."""

    def __init__(self, output: BinaryIO) -> None:
        self._text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)

    def write_row(self, cells: Sequence[Cell]) -> None:
        self._csv.writerow([self._format(cell) for cell in cells])

    @staticmethod
    def _format(cell: Cell) -> str | int | float:
        if cell is None:
            return ""
        if isinstance(cell, str):
            return neutralise(cell)
        if isinstance(cell, date):  # dates, and datetimes with their UTC offset
            return cell.isoformat()
        return cell

    def finish(self) -> None:
        self._text.flush()
        # Hand the caller's file back open: closing the wrapper would close it too.
        self._text.detach()


class _XlsxWriter:
    """One worksheet written row by row (XlsxWriter's constant-memory mode)."""

    def __init__(
        self, output: BinaryIO, columns: Sequence[tuple[str, int]], sheet_name: str
    ) -> None:
        self._columns = columns
        self._book = xlsxwriter.Workbook(output, {"constant_memory": True})
        self._sheet = self._book.add_worksheet(sheet_name)
        self._datetime = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._bold = self._book.add_format({"bold": True})
        for index, (_, width) in enumerate(columns):
            self._sheet.set_column(index, index, width)
        self._sheet.freeze_panes(1, 0)
        self._row = 0

    def write_header(self) -> None:
        for col, (name, _) in enumerate(self._columns):
            self._sheet.write_string(0, col, name, self._bold)
        self._row = 1

    def write_row(self, cells: Sequence[Cell]) -> None:
        sheet, row = self._sheet, self._row
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            if isinstance(cell, str):
                # write_string, never write(): text must not become a formula or link.
                sheet.write_string(row, col, neutralise(cell))
            elif isinstance(cell, datetime):
                sheet.write_datetime(row, col, cell.replace(tzinfo=None), self._datetime)
            elif isinstance(cell, date):
                sheet.write_datetime(row, col, cell, self._date)
            else:
                sheet.write_number(row, col, cell)
        self._row += 1

    def finish(self) -> None:
        self._book.close()


def open_table(
    output: BinaryIO, fmt: ExportFormat, columns: Sequence[tuple[str, int]], sheet_name: str
) -> RowWriter:
    """A CSV or XLSX table on ``output`` with its header row written (formula-safe cells).

    ``columns``: (header, XLSX column width) pairs. Finish an XLSX one in a thread
    (``asyncio.to_thread``) when it may be large: zipping it is CPU work.
    """
    if fmt == "csv":
        writer: RowWriter = _CsvWriter(output)
        writer.write_row([name for name, _ in columns])
        return writer
    if fmt == "xlsx":
        xlsx = _XlsxWriter(output, columns, sheet_name)
        xlsx.write_header()
        return xlsx
    raise ValueError(f"unknown export format: {fmt!r}")


async def export_feedback(
    sessions: async_sessionmaker[AsyncSession],
    output: BinaryIO,
    fmt: ExportFormat,
    *,
    since: date | None = None,
    until: date | None = None,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[ColumnExpressionArgument[Any]] | None = None,
    tz: ZoneInfo,
    now: datetime | None = None,
    on_batch: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Write the reports received from ``since`` to ``until`` (local dates, inclusive).

    ``where`` narrows the reports further (the inbox's filters) and ``order_by`` replaces
    the default oldest-first order. ``on_batch`` is awaited after every ``BATCH_SIZE``
    rows and once at the end, so a caller can pass what ``output`` holds so far on (the
    dashboard streams CSV to the browser that way). Returns the number of reports
    written (the header row is not counted). ``now`` decides what is overdue; it
    defaults to the current time.
    """
    writer = open_table(output, fmt, COLUMNS, "Feedback")
    moment = now or utcnow()
    count = 0
    statement = feedback_rows_query(since, until, tz, moment, where, order_by).execution_options(
        yield_per=BATCH_SIZE
    )
    async with sessions() as session:
        # A read-only transaction: on SQLite it does not hold up the bot's writes.
        await session.connection(execution_options=READ_ONLY)
        result = await session.stream(statement)
        async for row in result:
            writer.write_row(_cells(row, tz))
            count += 1
            if on_batch is not None and count % BATCH_SIZE == 0:
                await on_batch()
    # The workbook is assembled after the read transaction ends, so it holds no lock; in
    # a thread, because zipping a large one would otherwise stall the bot's event loop.
    if fmt == "xlsx":
        await asyncio.to_thread(writer.finish)
    else:
        writer.finish()
    if on_batch is not None:
        await on_batch()
    return count
