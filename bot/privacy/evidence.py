"""What an erasure keeps: the complaint and hazard records still needed as evidence.

UK GDPR Article 17(3)(b) and (e): the right to erasure does not apply where keeping the
data is needed to comply with a legal obligation, or to establish, exercise or defend
legal claims. The Housing Ombudsman's Complaint Handling Code requires the full record of
each complaint; an Awaab's Law case (an emergency hazard, or significant damp and mould)
is the record of what the landlord did about a danger to the household, which a claim
would ask for (docs/regulation-complaints-and-hazards.md, "Erasure requests and
retention").

So an erasure keeps the resident's complaints and hazard cases (``EVIDENCE``) that are
open, or closed less than ``complaint_retention_months`` ago: as they are, words and
photos included, still linked to the resident's tombstone. Everything else is erased.
Hazard cases are kept for the complaints' period too: both are evidence for legal
claims, and no law fixes how long (the regulation note found no fixed period), so it is
the association's decision, set on the Settings page. When the period ends, retention
(``bot.feedback.retention``) anonymises the report like any other closed record.

Which exception was applied, to which reports and until when, goes in the audit log as
ids, references and dates only (``audit_details``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.feedback.privacy import EVIDENCE
from bot.feedback.retention import months_before
from bot.models import Feedback

EXCEPTION = "UK GDPR Article 17(3)(b) and (e): legal obligation, legal claims"


@dataclass(frozen=True)
class KeptReport:
    """A report an erasure keeps, and until when."""

    id: int
    reference: str
    is_complaint: bool
    hazard_kind: str | None
    # The day its retention ends (local); None while it is open: it is then kept until
    # it is closed and for the retention period after that.
    until: date | None


def retention_months(settings: Settings) -> int:
    """How long after closing a complaint or hazard case is kept (the association's choice)."""
    return settings.complaint_retention_months


async def kept_reports(
    session: AsyncSession, resident_id: int, settings: Settings, now: datetime
) -> list[KeptReport]:
    """The resident's reports an erasure at ``now`` keeps, oldest first.

    The boundary is retention's: a report closed exactly the period ago is still kept
    (retention takes those closed before it).
    """
    months = retention_months(settings)
    rows = await session.execute(
        select(
            Feedback.id,
            Feedback.reference,
            Feedback.is_complaint,
            Feedback.hazard_kind,
            Feedback.closed_at,
        )
        .where(
            Feedback.resident_id == resident_id,
            EVIDENCE,
            or_(Feedback.closed_at.is_(None), Feedback.closed_at >= months_before(now, months)),
        )
        .order_by(Feedback.id)
    )
    return [
        KeptReport(
            report_id,
            reference,
            is_complaint,
            hazard_kind,
            None if closed is None else _after(closed, months, settings),
        )
        for report_id, reference, is_complaint, hazard_kind, closed in rows.all()
    ]


def _after(closed: datetime, months: int, settings: Settings) -> date:
    """The local day ``months`` after ``closed`` (months_before, the other way)."""
    return months_before(closed, -months).astimezone(settings.tz).date()


def audit_details(kept: list[KeptReport], settings: Settings) -> dict[str, Any]:
    """The exception applied, for the audit log: ids, references and dates, never words.

    Empty when nothing was kept (no exception applied).
    """
    if not kept:
        return {}
    return {
        "exception": EXCEPTION,
        "kept": [
            {
                "id": k.id,
                "reference": k.reference,
                "complaint": k.is_complaint,
                "hazard": k.hazard_kind,
                # None: open, kept until it is closed and the period after that.
                "until": k.until.isoformat() if k.until else None,
            }
            for k in kept
        ],
        "months_after_closing": retention_months(settings),
    }
