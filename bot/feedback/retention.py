"""Retention (UK GDPR): closed feedback is anonymised once its retention period is over.

Two periods, both in the association's settings:

- ordinary reports (service requests, suggestions, compliments...): ``retention_months``
  after closing (default 24) they are anonymised as on a resident's erasure — unlinked
  from the resident, their words, photos, location and the resident's messages erased;
- complaints and Awaab's Law hazard cases are kept on their own lawful basis (the
  Housing Ombudsman's Code requires the full record of each complaint; both are evidence
  for a legal claim): ``complaint_retention_months`` after closing (default 72, six
  years, the limitation period for most claims: the association's decision, not a
  statutory period), and then they lose their words too (``bot.feedback.privacy.EVIDENCE``
  says which reports these are, for erasure and retention alike).

What is kept: category, neighbourhood, dates, status history and outcome, so the
statistics and the Code's figures do not change. Staff-written text (replies, notes)
is kept.

Idempotent: a report already done is not picked again (ordinary: ``anonymised_at``
set; complaint or hazard case: its words already the retention text). Safe with several processes:
candidates are locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two runs never
take the same rows (SQLite has one writer at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.config import Settings
from bot.feedback.privacy import EVIDENCE, anonymise_reports
from bot.models import Feedback

RETENTION_TEXT = "[erased at the end of the retention period]"
ACTOR = "system:retention"
BATCH_SIZE = 500


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (day clamped to the month's end)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:  # 31 March minus one month: 28/29 February
            day -= 1


@dataclass
class RetentionOutcome:
    """What one batch anonymised: the references, by kind."""

    reports: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # complaints and hazard cases

    @property
    def count(self) -> int:
        return len(self.reports) + len(self.evidence)


async def anonymise_expired(
    session: AsyncSession, settings: Settings, now: datetime, *, limit: int = BATCH_SIZE
) -> RetentionOutcome:
    """Anonymise up to ``limit`` closed reports past their retention period (audited).

    ``settings``: the association's settings in force (see bot.association.service).
    """
    ordinary_due = and_(
        not_(EVIDENCE),
        Feedback.closed_at < months_before(now, settings.retention_months),
        Feedback.anonymised_at.is_(None),
    )
    evidence_due = and_(
        EVIDENCE,
        Feedback.closed_at < months_before(now, settings.complaint_retention_months),
        Feedback.description != RETENTION_TEXT,
    )
    rows = (
        await session.execute(
            select(Feedback.id, Feedback.reference, EVIDENCE.label("evidence"))
            .where(Feedback.closed_at.is_not(None), or_(ordinary_due, evidence_due))
            .order_by(Feedback.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    outcome = RetentionOutcome()
    if not rows:
        return outcome
    for _id, reference, evidence in rows:
        (outcome.evidence if evidence else outcome.reports).append(reference)
    await anonymise_reports(
        session,
        Feedback.id.in_([row.id for row in rows]),
        erased_text=RETENTION_TEXT,
        complaints_too=True,
    )
    record_action(
        session,
        ACTOR,
        "feedback.retention_anonymised",
        "feedback",
        None,
        {
            "before": {"state": "closed, identifiable", "references": [r.reference for r in rows]},
            "after": {
                "state": "anonymised",
                "reports": len(outcome.reports),
                "complaints_and_hazard_cases": len(outcome.evidence),
                "retention_months": settings.retention_months,
                "complaint_retention_months": settings.complaint_retention_months,
            },
        },
        now=now,
    )
    await session.flush()
    return outcome
