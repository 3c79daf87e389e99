"""Feedback reports, their attachments, status history and reference numbers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigId, TimestampMixin, UTCDateTime, utcnow
from bot.models.neighbourhood import Neighbourhood


class Feedback(TimestampMixin, Base):
    """One report from a resident: a service request, complaint, suggestion..."""

    __tablename__ = "feedback"
    # The inbox searches the residents' words with ILIKE '%...%': on PostgreSQL a trigram
    # index answers that without reading every report (migration 0006; SQLite scans).
    __table_args__ = (
        Index(
            "ix_feedback_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # The report reads complaints and hazard cases received in its period: a few
        # thousand of 100,000 reports, found without reading the whole table (0026). Each
        # condition is written as the backend's SQL for the queries' own test, or the
        # planner would not see that the index answers them.
        Index(
            "ix_feedback_complaint_received_at",
            "received_at",
            postgresql_where=text("is_complaint IS TRUE"),
            sqlite_where=text("is_complaint IS 1"),
        ),
        Index(
            "ix_feedback_hazard_received_at",
            "received_at",
            postgresql_where=text("hazard_kind IS NOT NULL"),
            sqlite_where=text("hazard_kind IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    shares_name: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(24), default="new", nullable=False, index=True)
    is_complaint: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    complaint_stage: Mapped[int | None] = mapped_column(SmallInteger)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The moment the landlord became aware: when the resident's report arrived.
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Complaint Handling Code due dates (local working days, inclusive).
    ack_due_on: Mapped[date | None] = mapped_column(Date)
    response_due_on: Mapped[date | None] = mapped_column(Date)
    # Awaab's Law: "emergency" (make safe in 24 hours) or "damp_mould".
    hazard_kind: Mapped[str | None] = mapped_column(String(16))
    make_safe_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    investigate_due_on: Mapped[date | None] = mapped_column(Date)
    # Awaab's Law stages (bot/feedback/hazards.py): each done moment, and the due dates the
    # investigation starts (stored then, never recomputed). "Safety work done" is the
    # emergency made safe, or a damp and mould hazard's relevant safety work.
    investigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary_due_on: Mapped[date | None] = mapped_column(Date)
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    safety_work_due_on: Mapped[date | None] = mapped_column(Date)
    safety_work_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preventive_works_due_on: Mapped[date | None] = mapped_column(Date)
    preventive_works_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "offered", "declined" (offered, the household chose to stay) or "not_needed".
    alternative_accommodation: Mapped[str | None] = mapped_column(String(16))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Case handling (the dashboard): who has the report now, and who handled each stage of a
    # complaint. The Code needs a different handler at stage 2 than at stage 1; the stage-1
    # handler is whoever was last assigned it at stage 1, else whoever acknowledged it.
    assigned_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL"), index=True
    )
    stage1_handler_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    stage2_handler_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # Stage 1's due dates, kept when escalation starts stage 2's (the full record shows both).
    stage1_ack_due_on: Mapped[date | None] = mapped_column(Date)
    stage1_response_due_on: Mapped[date | None] = mapped_column(Date)
    # An anti-social behaviour report that involves a hate incident (NM01's second part,
    # docs/regulation-tsm.md §7); set or cleared by staff on the report's page.
    hate_incident: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    # Where a repairs or estate report is (bot.feedback.backing.SHARED_AREAS: "lift",
    # "bins"...), as the resident answered; None: inside their home, or never asked. Only
    # a report in a shared area can be communal (shown to neighbours for "me too").
    shared_area: Mapped[str | None] = mapped_column(String(16))
    # A duplicate staff merged into another report (closed; its residents back the kept one).
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), index=True
    )

    neighbourhood: Mapped[Neighbourhood | None] = relationship(lazy="raise")
    attachments: Mapped[list[FeedbackAttachment]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="FeedbackAttachment.id"
    )
    status_changes: Mapped[list[FeedbackStatusChange]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="FeedbackStatusChange.id"
    )


class FeedbackBacker(Base):
    """A resident who said a neighbour's communal report is theirs too ("me too").

    One row per report and resident (the unique key holds when two presses race). A
    backing withdrawn is deleted, not marked: it is only a wish to hear, and once
    withdrawn nothing about it is needed (a kept row would keep a record of the
    resident's interest for no purpose). ``how``: "me_too", or "merged" when staff merged
    the resident's own report into this one.
    """

    __tablename__ = "feedback_backers"
    __table_args__ = (UniqueConstraint("feedback_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True, nullable=False
    )
    how: Mapped[str] = mapped_column(String(8), default="me_too", nullable=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class FeedbackAttachment(Base):
    """A photo (or other file) a resident sent with a report, held by Telegram file id."""

    __tablename__ = "feedback_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), default="photo", nullable=False)
    telegram_file_id: Mapped[str] = mapped_column(String(256), nullable=False)
    file_unique_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class FeedbackStatusChange(Base):
    """One step in a report's lifecycle: when, from what, to what, by whom."""

    __tablename__ = "feedback_status_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class FeedbackMessage(Base):
    """One message in a report's thread: a staff reply or the resident's answer."""

    __tablename__ = "feedback_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    author: Mapped[str] = mapped_column(String(16), nullable=False)  # "staff" or "resident"
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # A staff update meant for everyone affected by a communal report (its backers too);
    # False: a reply to the reporter alone.
    public: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )


class FeedbackDeadlineAlert(Base):
    """A deadline warning sent to staff about a report, kept so that it goes out only once.

    The unique key is the guard: with several processes, only the one whose INSERT lands
    sends the warning. A due date that moves (acknowledged early, escalated) gets its own.
    """

    __tablename__ = "feedback_deadline_alerts"
    __table_args__ = (UniqueConstraint("feedback_id", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False
    )
    # e.g. "stage1_acknowledge_soon", "stage2_respond_overdue"
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class FeedbackNote(Base):
    """An internal note staff keep on a report; never shown or sent to the resident."""

    __tablename__ = "feedback_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class HazardStep(Base):
    """One step of an Awaab's Law case, as done: classified (or reclassified, with the
    reason), investigated, summary sent, safety work done, preventive works started,
    alternative accommodation. Who and when; never changed once written."""

    __tablename__ = "hazard_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    step: Mapped[str] = mapped_column(String(24), nullable=False)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # The hazard kind after a classification ("" for none), the accommodation answer.
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


class FeedbackAssignment(Base):
    """One change of who handles a report: assigned, unassigned, or cleared by escalation."""

    __tablename__ = "feedback_assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # The complaint stage at the time (None for a report that is not a complaint).
    stage: Mapped[int | None] = mapped_column(SmallInteger)
    # The new handler; None when the report was left unassigned.
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class FeedbackExtension(Base):
    """An extension of a complaint stage's response deadline, with its reason.

    One per stage (``bot.feedback.extensions``): the unique key keeps it to one even when
    two people press at once. Longer than the standard length only with ``good_reason``.
    """

    __tablename__ = "feedback_extensions"
    __table_args__ = (UniqueConstraint("feedback_id", "stage"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), nullable=False
    )
    stage: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    working_days: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    due_before: Mapped[date] = mapped_column(Date, nullable=False)
    due_after: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    # Why it is longer than the standard length (Code 6.4: "without good reason"), told
    # to the resident; None for an extension within it.
    good_reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ReferenceCounter(Base):
    """The last reference number issued in a year (FB-<year>-<number>)."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)
