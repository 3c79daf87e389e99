""" "Me too" on shared problems, on a real database (SQLite and PostgreSQL): what is
communal, what neighbours are shown, backing and withdrawing, who hears what, staff's
view of backers, merging a duplicate, and privacy; two residents backing at once on
PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import fields
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import InvalidInput, NotFound, StaleAction
from bot.feedback import backing, lifecycle, merging
from bot.feedback.draft import ReportDraft
from bot.feedback.privacy import (
    anonymise_reports,
    backings_for_subject_access,
    erase_backings,
)
from bot.feedback.reports import submit_report
from bot.feedback.thread import add_staff_reply
from bot.models import (
    Feedback,
    FeedbackBacker,
    FeedbackStatusChange,
    Neighbourhood,
    Resident,
    StaffMember,
)
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    REGION,
    TZ,
    Sessions,
    audit_actions,
    deliveries,
    make_resident,
    make_staff,
)


async def report_at(
    sessions: Sessions,
    resident: Resident,
    *,
    category: str = "repairs",
    area: str | None = "lift",
    complaint: bool = False,
    hours: int = 0,
    words: str = "The lift by flat 12 is stuck again - Ann Jones",
) -> Feedback:
    """A report sent through ``submit_report`` (``hours`` after MONDAY)."""
    draft = ReportDraft(
        category=category,
        description=words,
        is_complaint=complaint,
        shares_name=True,
        shared_area=area,
        aware_at=(MONDAY + timedelta(hours=hours)).isoformat(),
    )
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        return await submit_report(session, fresh, draft, tz=TZ, region=REGION, notices=NOTICES)


async def back(sessions: Sessions, resident: Resident, report: Feedback) -> bool:
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        _report, new = await backing.back_report(session, fresh, report.id, now=MONDAY)
        return new


async def backer_ids(sessions: Sessions, report: Feedback) -> list[int]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(FeedbackBacker.resident_id)
                .where(FeedbackBacker.feedback_id == report.id)
                .order_by(FeedbackBacker.resident_id)
            )
        )


async def area_id(sessions: Sessions, code: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == code))
        assert found is not None
        return found


async def test_only_reports_in_a_shared_area_are_communal(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    lift = await report_at(sessions, ann)
    bins = await report_at(sessions, ann, category="estate", area="bins")
    at_home = await report_at(sessions, ann, area=None)
    asb = await report_at(sessions, ann, category="antisocial", area="stairs")
    complaint = await report_at(sessions, ann, complaint=True)
    damp = await report_at(sessions, ann, category="damp_mould", area="stairs")
    assert backing.is_communal(lift) and backing.is_communal(bins)
    assert not backing.is_communal(at_home)
    # Where it is is kept only for repairs and estate: anything else stays private.
    assert asb.shared_area is None and not backing.is_communal(asb)
    assert damp.shared_area is None and not backing.is_communal(damp)
    assert not backing.is_communal(complaint)
    async with sessions() as session:
        ids = set(await session.scalars(select(Feedback.id).where(backing.communal())))
    assert ids == {lift.id, bins.id}


async def test_neighbours_see_open_reports_of_the_same_kind_newest_first_without_names(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    cy = await make_resident(sessions, 2)
    ben = await make_resident(sessions, 3)
    far = await make_resident(sessions, 4, area="oakfield")
    older = await report_at(sessions, ann, hours=0)
    newer = await report_at(sessions, cy, hours=2)
    await report_at(sessions, far, hours=3)  # another neighbourhood
    await report_at(sessions, cy, area=None, hours=4)  # inside a home: private
    await report_at(sessions, cy, area="bins", hours=5)  # another kind
    await report_at(sessions, cy, complaint=True, hours=6)  # a complaint: private
    staff = await make_staff(sessions, 900)
    resolved = await report_at(sessions, ann, hours=7)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, resolved.id, "resolved", staff, NOTICES)

    async with sessions() as session:
        shown = await backing.similar_open_reports(session, ben, "repairs", "lift")
        mine = await backing.similar_open_reports(session, ann, "repairs", "lift")
        at_home = await backing.similar_open_reports(session, ben, "repairs", None)
    assert [s.reference for s in shown] == [newer.reference, older.reference]
    assert shown[0].affected == 1
    # Nothing that points to the reporter: no name, none of their words, no resident id.
    assert {f.name for f in fields(backing.ShownReport)} == {
        "id",
        "reference",
        "category",
        "shared_area",
        "received_at",
        "status",
        "affected",
    }
    assert [s.reference for s in mine] == [newer.reference]  # not their own
    assert at_home == []

    assert await back(sessions, ben, newer)
    async with sessions() as session:
        again = await backing.similar_open_reports(session, ben, "repairs", "lift")
        counted = await backing.similar_open_reports(session, ann, "repairs", "lift")
    assert [s.reference for s in again] == [older.reference]  # backed already: not offered
    assert counted[0].affected == 2


async def test_backing_twice_is_one_backing_and_withdrawing_deletes_it(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    ben = await make_resident(sessions, 2)
    lift = await report_at(sessions, ann)
    assert await back(sessions, ben, lift) is True
    assert await back(sessions, ben, lift) is False
    assert await backer_ids(sessions, lift) == [ben.id]
    async with sessions() as session:
        assert await backing.backer_counts(session, [lift.id]) == {lift.id: 1}
        backed = await backing.backings_of(session, ben)
    assert [report.reference for _b, report in backed] == [lift.reference]
    for _press in range(2):
        async with sessions.begin() as session:
            fresh = await session.get(Resident, ben.id)
            assert fresh is not None
            await backing.withdraw_backing(session, fresh, lift.id)
    assert await backer_ids(sessions, lift) == []


async def test_backing_is_refused_for_private_far_own_and_closed_reports(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    ben = await make_resident(sessions, 2)
    far = await make_resident(sessions, 3, area="oakfield")
    private = await report_at(sessions, ann, area=None)
    complaint = await report_at(sessions, ann, complaint=True)
    elsewhere = await report_at(sessions, far)
    own = await report_at(sessions, ben)
    for report in (private, complaint, elsewhere, own):
        with pytest.raises(StaleAction):
            await back(sessions, ben, report)
    lift = await report_at(sessions, ann)
    staff = await make_staff(sessions, 900)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, lift.id, "resolved", staff, NOTICES)
    with pytest.raises(InvalidInput, match="no longer open"):
        await back(sessions, ben, lift)
    assert await backer_ids(sessions, lift) == []


async def test_backers_hear_status_changes_and_public_updates_but_never_private_replies(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    ben = await make_resident(sessions, 2, language="cy")
    lift = await report_at(sessions, ann)
    staff = await make_staff(sessions, 900)
    await back(sessions, ben, lift)

    async with sessions.begin() as session:
        await lifecycle.change_status(session, lift.id, "in_progress", staff, NOTICES, now=MONDAY)
    to_ben = await deliveries(sessions, resident_id=ben.id)
    assert [d.kind for d in to_ben] == [backing.BACKER_KIND]
    assert lift.reference in to_ben[0].payload["text"]
    stop = to_ben[0].payload["buttons"][0][0]
    assert stop["data"] == f"0:fbw:{lift.id}"

    async with sessions.begin() as session:
        await add_staff_reply(session, lift.id, staff, "Which floor is your flat on?", NOTICES)
    assert len(await deliveries(sessions, resident_id=ben.id)) == 1  # private: not to Ben

    async with sessions.begin() as session:
        update = await backing.add_public_update(
            session, lift.id, staff, "An engineer comes on Tuesday.", NOTICES, now=MONDAY
        )
    assert update.reporter_told and update.backers_told == 1
    to_ben = await deliveries(sessions, resident_id=ben.id)
    assert "An engineer comes on Tuesday." in to_ben[-1].payload["text"]
    to_ann = await deliveries(sessions, resident_id=ann.id, kind="staff_reply")
    assert "An engineer comes on Tuesday." in to_ann[-1].payload["text"]
    assert "feedback.public_update" in await audit_actions(sessions)

    async with sessions.begin() as session:
        fresh = await session.get(Resident, ben.id)
        assert fresh is not None
        await backing.withdraw_backing(session, fresh, lift.id)
        await lifecycle.change_status(session, lift.id, "resolved", staff, NOTICES)
    assert len(await deliveries(sessions, resident_id=ben.id)) == 2  # nothing more


async def test_a_public_update_is_refused_on_a_private_report(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    private = await report_at(sessions, ann, area=None)
    staff = await make_staff(sessions, 900)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="not a communal report"):
            await backing.add_public_update(session, private.id, staff, "Hello", NOTICES)


async def test_staff_see_backers_they_cover_and_only_a_count_of_the_rest(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    ben = await make_resident(sessions, 2)
    lift = await report_at(sessions, ann)
    await back(sessions, ben, lift)
    riverside = await area_id(sessions, "riverside")
    oakfield = await area_id(sessions, "oakfield")
    async with sessions() as session:
        everyone = await backing.backers_for_staff(session, lift.id, None)
        covering = await backing.backers_for_staff(session, lift.id, frozenset({riverside}))
        elsewhere = await backing.backers_for_staff(session, lift.id, frozenset({oakfield}))
    assert [r.id for r, _b in everyone.shown] == [ben.id]
    assert [r.id for r, _b in covering.shown] == [ben.id]
    assert elsewhere.shown == [] and elsewhere.hidden == 1 and elsewhere.count == 1


async def test_merging_a_duplicate_moves_its_residents_to_the_kept_report(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    cy = await make_resident(sessions, 2)
    dai = await make_resident(sessions, 3)
    kept = await report_at(sessions, ann)
    duplicate = await report_at(sessions, cy, hours=1)
    await back(sessions, dai, duplicate)
    staff = await make_staff(sessions, 900)
    async with sessions.begin() as session:
        await merging.merge_into(
            session, duplicate.id, kept.reference.lower(), staff, NOTICES, scope=None, now=MONDAY
        )
    async with sessions() as session:
        closed = await session.get(Feedback, duplicate.id)
        assert closed is not None
        assert closed.status == "duplicate" and closed.merged_into_id == kept.id
        note = await session.scalar(
            select(FeedbackStatusChange.note).where(
                FeedbackStatusChange.feedback_id == duplicate.id,
                FeedbackStatusChange.to_status == "duplicate",
            )
        )
        rows = await session.execute(
            select(FeedbackBacker.resident_id, FeedbackBacker.how).where(
                FeedbackBacker.feedback_id == kept.id
            )
        )
        how = {resident_id: way for resident_id, way in rows}
    assert note == f"Merged into {kept.reference}"
    assert how == {cy.id: "merged", dai.id: "merged"}
    assert await backer_ids(sessions, duplicate) == []
    told = await deliveries(sessions, resident_id=cy.id, feedback_id=duplicate.id)
    assert [d.kind for d in told][-1] == "status_change"
    assert kept.reference in told[-1].payload["text"]
    # Only the merge's own message: not the plain "Closed - already reported" one too.
    assert len(told) == 1
    assert "feedback.merged" in await audit_actions(sessions)


async def test_merging_is_refused_with_a_reason(sessions: Sessions, neighbourhoods: None) -> None:
    ann = await make_resident(sessions, 1)
    cy = await make_resident(sessions, 2)
    far = await make_resident(sessions, 3, area="oakfield")
    duplicate = await report_at(sessions, cy)
    private = await report_at(sessions, ann, area=None)
    elsewhere = await report_at(sessions, far)
    closed = await report_at(sessions, ann)
    staff = await make_staff(sessions, 900)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, closed.id, "no_further_action", staff, NOTICES)

    async def merge(into: Feedback, scope: frozenset[int] | None = None) -> None:
        async with sessions.begin() as session:
            member = await session.get(StaffMember, staff.id)
            assert member is not None
            await merging.merge_into(
                session, duplicate.id, into.reference, member, NOTICES, scope=scope
            )

    with pytest.raises(InvalidInput, match="into itself"):
        await merge(duplicate)
    with pytest.raises(InvalidInput, match="private report"):
        await merge(private)
    with pytest.raises(InvalidInput, match="another neighbourhood"):
        await merge(elsewhere)
    with pytest.raises(InvalidInput, match="already resolved or closed"):
        await merge(closed)
    riverside = await area_id(sessions, "riverside")
    with pytest.raises(NotFound):
        await merge(elsewhere, frozenset({riverside}))
    async with sessions() as session:
        still = await session.get(Feedback, duplicate.id)
        assert still is not None and still.status == "new" and still.merged_into_id is None


async def test_backings_are_in_subject_access_and_go_with_erasure_and_closed_reports(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    ben = await make_resident(sessions, 2)
    cy = await make_resident(sessions, 3)
    lift = await report_at(sessions, ann)
    bins = await report_at(sessions, ann, category="estate", area="bins")
    await back(sessions, ben, lift)
    await back(sessions, cy, lift)
    await back(sessions, cy, bins)
    async with sessions() as session:
        copy = await backings_for_subject_access(session, ben.id)
    assert copy == [
        {
            "report": lift.reference,
            "category": "repairs",
            "shared_area": "lift",
            "since": copy[0]["since"],
            "how": "you said it is yours too",
        }
    ]
    assert "Ann" not in str(copy) and "flat 12" not in str(copy)
    async with sessions.begin() as session:
        await erase_backings(session, ben.id)
    assert await backer_ids(sessions, lift) == [cy.id]
    staff = await make_staff(sessions, 900)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, bins.id, "no_further_action", staff, NOTICES)
        await anonymise_reports(session, Feedback.resident_id == ann.id)
    # The closed report's backings go with it; the open one keeps its backer.
    assert await backer_ids(sessions, bins) == []
    assert await backer_ids(sessions, lift) == [cy.id]


# PostgreSQL only: SQLite writes one transaction at a time, so nothing there is concurrent.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_residents_backing_at_once_are_counted_once_each(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ann = await make_resident(sessions, 1)
    ben = await make_resident(sessions, 2)
    cy = await make_resident(sessions, 3)
    lift = await report_at(sessions, ann)
    # Each presses twice, all four presses at once, each in its own transaction.
    results = await asyncio.gather(
        back(sessions, ben, lift),
        back(sessions, cy, lift),
        back(sessions, ben, lift),
        back(sessions, cy, lift),
    )
    assert sorted(results) == [False, False, True, True]
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(FeedbackBacker)
            .where(FeedbackBacker.feedback_id == lift.id)
        )
        assert await backing.backer_counts(session, [lift.id]) == {lift.id: 2}
    assert count == 2
    assert await backer_ids(sessions, lift) == sorted([ben.id, cy.id])
