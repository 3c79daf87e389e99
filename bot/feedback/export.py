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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    ScalarSelect,
    Select,
    and_,
    case,
    false,
    func,
    null,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import READ_ONLY
from bot.feedback.deadlines import overdue_condition
from bot.feedback.draft import CATEGORIES
from bot.feedback.statuses import STATUS_WORDS
from bot.models import Feedback, FeedbackAttachment, Neighbourhood, Resident
from bot.models.base import utcnow
from bot.tables import (
    Cell,
    CsvWriter,
    ExportFormat,
    RowWriter,
    XlsxWriter,
    csv_text,
    neutralise,
    read_ahead,
)

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
    ("investigated", 19),
    ("summary_due", 15),
    ("summary_sent", 19),
    ("safety_work_due", 15),
    ("safety_work_done", 19),
    ("preventive_works_due", 15),
    ("preventive_works_started", 19),
    ("alternative_accommodation", 12),
    ("overdue", 9),
    ("anonymous", 10),
    ("reporter_name", 24),
    ("text", 80),
    ("latitude", 11),
    ("longitude", 11),
    ("photos", 8),
)
HEADER: tuple[str, ...] = tuple(name for name, _ in COLUMNS)
# Turns a batch of query rows into export values (see _converter).
Converter = Callable[[Iterable[Sequence[Any]]], list[tuple[Cell, ...]]]


def _local_day_start(day: date, tz: ZoneInfo) -> datetime:
    """The moment a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=tz)


def _photo_count() -> ScalarSelect[int]:
    """How many photos the report has (a correlated subquery)."""
    return (
        select(func.count(FeedbackAttachment.id))
        .where(FeedbackAttachment.feedback_id == Feedback.id)
        .correlate(Feedback)
        .scalar_subquery()
    )


def _shared_name() -> ColumnElement[str | None]:
    """The resident's name, only where it may leave the database.

    Only if the resident chose to share it and still exists, and the report has not been
    anonymised (which also unlinks it; this is belt and braces).
    """
    return case(
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
    # In the order ``_converter`` unpacks them.
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
            Feedback.investigated_at,
            Feedback.summary_due_on,
            Feedback.summary_sent_at,
            Feedback.safety_work_due_on,
            Feedback.safety_work_done_at,
            Feedback.preventive_works_due_on,
            Feedback.preventive_works_started_at,
            Feedback.alternative_accommodation,
            _shared_name().label("reporter_name"),
            Feedback.description,
            Feedback.latitude,
            Feedback.longitude,
            _photo_count().label("photos"),
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


def _converter(
    local: Callable[[datetime], Cell],
    text: Callable[[str], str],
) -> Converter:
    """A function turning a batch of query rows into export values, in HEADER order.

    The format decides two things: ``text`` makes any text that came from people or
    settings safe (neutralised for both formats, and quoted for CSV); ``local`` shows a
    stored UTC time as local time (typed for XLSX, ISO 8601 text with its offset for
    CSV). One pass per row, the rules written out column by column: this is the
    export's hot loop.
    """
    categories = {code: text(label) for code, label in CATEGORIES.items()}
    statuses = {code: (text(code), text(words)) for code, words in STATUS_WORDS.items()}

    def convert(rows: Iterable[Sequence[Any]]) -> list[tuple[Cell, ...]]:
        out: list[tuple[Cell, ...]] = []
        append = out.append
        for (
            reference,
            category,
            status,
            neighbourhood,
            is_complaint,
            complaint_stage,
            urgent,
            hazard_kind,
            received_at,
            acknowledged_at,
            resolved_at,
            closed_at,
            ack_due_on,
            response_due_on,
            make_safe_due_at,
            investigate_due_on,
            investigated_at,
            summary_due_on,
            summary_sent_at,
            safety_work_due_on,
            safety_work_done_at,
            preventive_works_due_on,
            preventive_works_started_at,
            alternative_accommodation,
            reporter_name,
            description,
            latitude,
            longitude,
            photos,
            overdue,
        ) in rows:
            status_cell, status_words = statuses.get(status) or (text(status),) * 2
            append(
                (
                    text(reference),
                    categories[category] if category in categories else text(category),
                    status_cell,
                    status_words,
                    None if neighbourhood is None else text(neighbourhood),
                    "yes" if is_complaint else "no",
                    complaint_stage,
                    "yes" if urgent else "no",
                    None if hazard_kind is None else text(hazard_kind),
                    local(received_at),
                    None if acknowledged_at is None else local(acknowledged_at),
                    None if resolved_at is None else local(resolved_at),
                    None if closed_at is None else local(closed_at),
                    ack_due_on,
                    response_due_on,
                    None if make_safe_due_at is None else local(make_safe_due_at),
                    investigate_due_on,
                    None if investigated_at is None else local(investigated_at),
                    summary_due_on,
                    None if summary_sent_at is None else local(summary_sent_at),
                    safety_work_due_on,
                    None if safety_work_done_at is None else local(safety_work_done_at),
                    preventive_works_due_on,
                    None
                    if preventive_works_started_at is None
                    else local(preventive_works_started_at),
                    alternative_accommodation,
                    "yes" if overdue else "no",
                    "no" if reporter_name else "yes",
                    None if reporter_name is None else text(reporter_name),
                    text(description),
                    latitude,
                    longitude,
                    int(photos or 0),
                )
            )
        return out

    return convert


def _writer(output: BinaryIO, fmt: ExportFormat, tz: ZoneInfo) -> tuple[RowWriter, Converter]:
    """The format's writer, its header written, and the row converter that suits it."""
    if fmt == "csv":
        csv_writer = CsvWriter(output)
        csv_writer.write_rows([HEADER])
        return csv_writer, _converter(CsvWriter.local(tz), csv_text)
    if fmt == "xlsx":
        xlsx = XlsxWriter(output, COLUMNS, "Feedback")
        xlsx.write_header()
        return xlsx, _converter(XlsxWriter.local(tz), neutralise)
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
    the default oldest-first order. ``on_batch`` is awaited after every batch of rows
    (``BATCH_SIZE``; the last one may be smaller) and once at the end, so a caller can
    pass what ``output`` holds so far on (the dashboard streams CSV to the browser that
    way). Returns the number of reports written (the header row is not counted). ``now``
    decides what is overdue; it defaults to the current time.
    """
    writer, convert = _writer(output, fmt, tz)
    moment = now or utcnow()
    count = 0
    statement = feedback_rows_query(since, until, tz, moment, where, order_by).execution_options(
        yield_per=BATCH_SIZE
    )
    async with sessions() as session:
        # A read-only transaction: on SQLite it does not hold up the bot's writes.
        connection = await session.connection(execution_options=READ_ONLY)
        # Core rows, a batch at a time (no ORM loading per row), the next batch asked
        # for before this one is written, so the database works while Python does.
        batches = (await connection.stream(statement)).partitions()
        fetching = read_ahead(batches)
        try:
            while (rows := await fetching) is not None:
                fetching = read_ahead(batches)
                await asyncio.sleep(0)  # the request goes out now, not after the batch
                writer.write_rows(convert(rows))
                count += len(rows)
                if on_batch is not None:
                    await on_batch()
        finally:
            # Broken off (the browser went away, say): let the last request finish, so
            # that the connection goes back to the pool in a clean state.
            await asyncio.wait([fetching])
            if not fetching.cancelled():
                fetching.exception()  # retrieved: it is not the error that matters here
    # The workbook is assembled after the read transaction ends, so it holds no lock; in
    # a thread, because zipping a large one would otherwise stall the bot's event loop.
    if fmt == "xlsx":
        await asyncio.to_thread(writer.finish)
    else:
        writer.finish()
    if on_batch is not None:
        await on_batch()
    return count
