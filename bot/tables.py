"""CSV and XLSX tables written a batch of rows at a time, safe to open in a spreadsheet.

Every export uses these writers (the feedback export, attendee lists, delivery reports):
text from people is neutralised so a spreadsheet never runs it as a formula (OWASP's CSV
injection advice), CSV is UTF-8 with a byte-order mark for Excel, and XLSX is written in
XlsxWriter's constant-memory mode so memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO, Literal, Protocol
from zoneinfo import ZoneInfo

import xlsxwriter

ExportFormat = Literal["csv", "xlsx"]

# One exported value: text, a number, a local date or a local (aware) date and time.
Cell = str | int | float | date | datetime | None

# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text that no spreadsheet will run as a formula: a leading apostrophe if needed."""
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


class RowWriter(Protocol):
    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None: ...

    def finish(self) -> None: ...


def csv_text(text: str) -> str:
    """Text as a CSV cell: neutralised, then quoted as the csv module's excel dialect does.

    ``csv.writer`` looks at long text one character at a time, which made it the
    export's main cost; ``in`` and ``replace`` scan in C. The dialect's rule
    (QUOTE_MINIMAL): text holding a comma, a double quote, CR or LF is quoted, quotes
    doubled. tests/feedback/test_export.py checks the output byte for byte against
    csv.writer.
    """
    if text.startswith(_FORMULA_TRIGGERS):
        text = "'" + text
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


class CsvWriter:
    """UTF-8 CSV with a byte-order mark, so Excel reads the characters correctly.

    Text cells come ready (``csv_text``, or words and times that need no quoting); None
    is an empty cell and anything else is ``str()`` (a float's repr, a date's ISO form),
    as csv.writer writes them. Each batch of rows is joined into one string (lines end in
    CRLF, as csv.writer's) and encoded at once.
    """

    def __init__(self, output: BinaryIO) -> None:
        self._output = output
        output.write(codecs.BOM_UTF8)

    @staticmethod
    def local(tz: ZoneInfo) -> Callable[[datetime], Cell]:
        """A stored UTC time as local ISO 8601 text with its offset, to the second."""
        return lambda moment: moment.astimezone(tz).isoformat(timespec="seconds")

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        lines = [
            ",".join(["" if c is None else c if isinstance(c, str) else str(c) for c in cells])
            for cells in rows
        ]
        lines.append("")
        self._output.write("\r\n".join(lines).encode("utf-8"))

    def finish(self) -> None:
        pass


class XlsxWriter:
    """One worksheet written row by row (XlsxWriter's constant-memory mode)."""

    def __init__(
        self,
        output: BinaryIO,
        columns: Sequence[tuple[str, int]],
        sheet_name: str,
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

    @staticmethod
    def local(tz: ZoneInfo) -> Callable[[datetime], Cell]:
        """A stored UTC time as local time, to the second (Excel has no time zones)."""
        return lambda moment: moment.astimezone(tz).replace(microsecond=0, tzinfo=None)

    def write_header(self) -> None:
        for col, (name, _) in enumerate(self._columns):
            self._sheet.write_string(0, col, name, self._bold)
        self._row = 1

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        sheet = self._sheet
        for cells in rows:
            row = self._row
            for col, cell in enumerate(cells):
                if cell is None:
                    continue
                if isinstance(cell, str):
                    # write_string, never write(): text must not become a formula or link.
                    sheet.write_string(row, col, cell)
                elif isinstance(cell, datetime):
                    sheet.write_datetime(row, col, cell, self._datetime)
                elif isinstance(cell, date):
                    sheet.write_datetime(row, col, cell, self._date)
                else:
                    sheet.write_number(row, col, cell)
            self._row += 1

    def finish(self) -> None:
        self._book.close()


def yes_no(flag: bool) -> str:
    """ "yes" or "no", as the exports write flags."""
    return "yes" if flag else "no"


def local_time(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored UTC time as local time, to the second."""
    return None if moment is None else moment.astimezone(tz).replace(microsecond=0)


class Table:
    """A small CSV or XLSX table (an attendee list), written a row at a time.

    The feedback export converts whole batches in its own loop; this converts each cell
    by the same rules: text made safe (neutralised, and quoted for CSV), local times as
    ISO 8601 text with their offset in CSV and as Excel date-times in XLSX.
    """

    def __init__(self, writer: RowWriter, fmt: ExportFormat) -> None:
        self._writer = writer
        self._text = csv_text if fmt == "csv" else neutralise
        self._csv = fmt == "csv"

    def _cell(self, cell: Cell) -> Cell:
        if isinstance(cell, str):
            return self._text(cell)
        if isinstance(cell, datetime):
            local = cell.replace(microsecond=0)
            return local.isoformat() if self._csv else local.replace(tzinfo=None)
        return cell

    def write_row(self, cells: Sequence[Cell]) -> None:
        self._writer.write_rows([[self._cell(cell) for cell in cells]])

    def finish(self) -> None:
        self._writer.finish()


def open_table(
    output: BinaryIO, fmt: ExportFormat, columns: Sequence[tuple[str, int]], sheet_name: str
) -> Table:
    """A CSV or XLSX table on ``output`` with its header row written (formula-safe cells).

    ``columns``: (header, XLSX column width) pairs. Finish an XLSX one in a thread
    (``asyncio.to_thread``) when it may be large: zipping it is CPU work.
    """
    if fmt == "csv":
        csv_writer = CsvWriter(output)
        csv_writer.write_rows([[csv_text(name) for name, _ in columns]])
        return Table(csv_writer, fmt)
    if fmt == "xlsx":
        xlsx = XlsxWriter(output, columns, sheet_name)
        xlsx.write_header()
        return Table(xlsx, fmt)
    raise ValueError(f"unknown export format: {fmt!r}")


def read_ahead(batches: AsyncIterator[Sequence[Any]]) -> asyncio.Task[Sequence[Any] | None]:
    """The next batch of rows (None after the last), fetched in a task of its own."""

    async def fetch() -> Sequence[Any] | None:
        return await anext(batches, None)

    return asyncio.ensure_future(fetch())
