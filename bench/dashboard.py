"""The dashboard on a big PostgreSQL database: inbox, report, TSM and survey pages, CSV export.

    .venv/bin/python bench/dashboard.py [--rows 100000] [--residents 10000]
        [--survey-responses 10000] [--requests 50] [--warmups 5] [--export-runs 2]
        [--postgres-dsn URL] [--json]

A throw-away PostgreSQL database is created, migrated and filled with Core inserts:
``--residents`` residents across 40 neighbourhoods (2% forgotten; one in 50 a leaseholder,
tenure "none"; one in 20 shares a tenancy reference, and so a survey household, with the
resident before; every tenth neighbourhood shared ownership, LCHO, the rest LCRA or unset)
and ``--rows`` reports received over the last two years (mostly closed, some open; about
10% complaints with stages and due dates, some of them overdue; damp and mould and
emergency reports with Awaab's Law clocks; descriptions from a few words to ~2,500
characters; 5% anonymised; some with photos; one anti-social behaviour report in 12 a hate
incident; no timestamp after now). For nine in ten resolved reports of known residents,
the "how satisfied are you with how it was handled?" question, answered by about half
(mostly satisfied; a few dissatisfied then reopened it or complained).

Then the TSM fill, for this reporting year (1 April - 31 March, open, opened a quarter of
the way to now) and the last (closed, ten weeks from August): a census survey year per
tenure of every resident in its scope (bot.survey.invitations.residents_in_scope), where
``--survey-responses`` LCRA households respond, one member each, and the same share of
LCHO ones; the answers follow bot.survey.questions (next_question, so filters gate as for
a resident) with shares satisfied near the sector's medians, 1% unprompted "no answer",
8% stopping part way (TP01 answered: still a response); of the rest, 12% decline, 2%
start and answer nothing, and some household members of a respondent are refused;
whoever had not answered was reminded up to twice, a week apart. ``--residents`` is
raised when needed, so that the responses are at most 45% of those invited. The homes per
tenure for both years (1.6 per resident in scope: the year's N), and 8 polls with a
quarter of the residents voting in each. Then VACUUM ANALYZE, as autovacuum would after
so many inserts (statistics, and pages marked all-visible for index-only scans). The
real dashboard (create_app with real settings, the engine ``doorstep run`` builds) is
served by aiohttp's AppRunner
on 127.0.0.1, in this process. An admin and a staff user (linked to a staff member
covering 3 neighbourhoods) log in over HTTP like a browser: the login form, its CSRF
cookie and field, then the session cookie.

Figures:
- inbox: GET /feedback for each case (unfiltered; open only; overdue only; a category
  and neighbourhood; free text; sorted by next due date), ``--warmups`` untimed requests
  then ``--requests`` timed ones, one at a time; p50 and p95 of the time from sending the
  request to the last byte of the page, in ms. The client runs in the same process and
  event loop, so the times include its (small) share. "matches" is the count the page
  itself shows (">1000" where it says "more than 1,000": it counts up to a limit).
  Goal: p95 under 150 ms, every case, both users.
- report page: GET /report (the social impact and compliance report, with its headline
  tiles, 12-month trends and case satisfaction once the page has them) as the admin, for
  the default period (the last full quarter), the last 12 months and the whole two years,
  timed as the inbox is. Before it, the history the report reads is added in SQL: every
  report's status changes as its timestamps say (stage 2 complaints answered at stage 1,
  then escalated), 100 events over the two years with about 33 places each (attendance
  and ratings), and a broadcast every four weeks to half the residents (deliveries).
  Goal: p95 under 1 s.
- TSM return and survey pages, as the admin and timed as the inbox is, in the same table
  as the report page: GET /tsm (the return, unsuppressed, with TP01-TP12 from both
  tenures' survey years) for this reporting year and for the page's default, the last
  complete year; GET /tsm.csv for both; GET /survey/<id>, this year's LCRA survey
  (progress, results, summary of approach). A page the app does not have yet is left out
  and said so on stderr. Goal: p95 under 1 s (issue 14: at 100,000 reports and 10,000
  survey responses).
- export: the full CSV of every report. If the app has a route GET /feedback/export.csv,
  that is measured over HTTP as the admin; otherwise the streamed exporter the CLI uses
  (bot.feedback.export.export_feedback) writes to a sink that discards the bytes. The
  output says which. Beside it, in the same run, PostgreSQL's ``COPY (<the exporter's own
  SELECT, same columns and rows>) TO STDOUT WITH CSV`` read through asyncpg's
  copy_from_query into a discarding sink: the physical floor (no Python per row). Each
  is run ``--export-runs`` times, alternating, and the fastest run counts; rows/s is
  reports over wall-clock seconds. Goal: export rows/s at least a third of COPY's.
- export memory, two measures: (1) peak RSS of this whole process during the fastest
  kind of run (Linux VmHWM, reset through /proc/self/clear_refs just before; where that
  is refused, ru_maxrss, which is the peak over the process's life and may predate the
  export) and its growth over the RSS just before; (2) the peak of Python allocations
  (tracemalloc) during one more, separate run, since tracing slows the export and its
  time is not used. Goal: peak RSS under 200 MB (the whole process: interpreter, app,
  server, client, what the fill left behind).

Nothing is asserted; the figures are printed (--json gives them as JSON). PostgreSQL
unreachable: a message, and no figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import math
import random
import re
import resource
import sys
import tempfile
import tracemalloc
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any, BinaryIO, cast

from common import (  # bench/common.py (the script's folder is on sys.path)
    DEFAULT_PG_DSN,
    Skipped,
    database,
    log,
    milliseconds,
    tree_version,
)

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000
NEIGHBOURHOODS = 40
STAFF_AREAS = 3
EXPORT_ROUTE = "/feedback/export.csv"
INBOX_P95_GOAL_MS = 150.0
REPORT_GOAL_S = 1.0
PAGE_GOAL_MS = REPORT_GOAL_S * 1000  # the report, TSM return and survey pages
EXPORT_RATIO_GOAL = 1 / 3
EXPORT_MEMORY_GOAL_MB = 200.0
# Good passwords for throw-away accounts in a throw-away database.
PASSWORDS = {
    "bench-admin": "ochre lantern dripping violins",
    "bench-staff": "marble otters quietly juggling",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
# "1,234 reports match", or past the page's count limit "More than 1,000 reports match".
_MATCHES = re.compile(r"(More than )?([\d,]+) reports? match")

CATEGORY_WEIGHTS = {
    "repairs": 40,
    "damp_mould": 12,
    "antisocial": 10,
    "estate": 12,
    "complaint": 6,
    "suggestion": 8,
    "compliment": 5,
    "other": 7,
}
SENTENCES = (
    "The boiler has stopped working again and there is no hot water.",
    "Water is leaking through the kitchen ceiling from the flat above.",
    "There is black mould spreading across the bedroom wall.",
    "The communal door does not close properly and the lock sticks.",
    "Someone has dumped a mattress and bags of rubbish by the bins.",
    "The lift on the east block has been out of order since Monday.",
    "Loud music every night after midnight from the ground floor.",
    "The streetlight outside number 14 flickers and then goes out.",
    "Thank you to the caretaker for clearing the path so quickly.",
    "Could we have a bench and some planters in the courtyard?",
    "My window frame is rotten and the draught is getting worse.",
    "The repair was booked three times and nobody came.",
    "Condensation runs down the walls and the extractor fan is broken.",
    "Youths are gathering in the stairwell and leaving it in a state.",
)


# The TSM fill (see the module's docstring). Every tenth neighbourhood is shared ownership
# (LCHO), one in ten has no tenure set (the default, LCRA), the rest are LCRA.
LCHO_EVERY = 10
NO_TENURE_EVERY = 50  # residents: one in 50 is a leaseholder ("none": not surveyed)
SHARED_HOUSEHOLD_EVERY = 20  # one resident in 20 lives with the one before
HATE_EVERY = 12  # one anti-social behaviour report in 12 involves a hate incident
# The share of those invited who respond: --residents is raised so that --survey-responses
# fit at this rate at most. IN_SCOPE_SHARE: residents in the LCRA survey's scope (not
# forgotten, not leaseholders, not in an LCHO neighbourhood), with a little room.
RESPONSE_RATE = 0.45
IN_SCOPE_SHARE = 0.85
HOMES_PER_RESIDENT = 1.6  # homes of a tenure per resident of it using the bot
ANSWER_GAP = timedelta(seconds=20)  # between a respondent's answers
# Roughly the sector's median shares satisfied (2023/24 returns); TP08 is agreement.
SATISFIED_SHARE = {
    "TP01": 0.71,
    "TP02": 0.73,
    "TP03": 0.68,
    "TP04": 0.71,
    "TP05": 0.76,
    "TP06": 0.60,
    "TP07": 0.68,
    "TP08": 0.76,
    "TP09": 0.34,
    "TP10": 0.64,
    "TP11": 0.63,
    "TP12": 0.58,
}
FILTER_YES = {"F_REPAIR": 0.62, "F_COMPLAINT": 0.14, "F_COMMUNAL": 0.55}
CASE_RATINGS = {  # how satisfied residents were with how a resolved report was handled
    "very_satisfied": 34,
    "fairly_satisfied": 30,
    "neither": 11,
    "fairly_dissatisfied": 11,
    "very_dissatisfied": 14,
}
COMMENTS = (
    "Quick and polite, thank you.",
    "It took three visits to fix.",
    "Nobody told me when they were coming.",
    "The operative was very helpful.",
    "Still not properly fixed.",
)


# ----- the data ----------------------------------------------------------------------------------


def _area_tenure(index: int) -> str | None:
    """A neighbourhood's tenure: LCHO, unset (the default: LCRA) or LCRA."""
    if index % LCHO_EVERY == LCHO_EVERY - 1:
        return "lcho"
    return None if index % LCHO_EVERY == 0 else "lcra"


def _case_satisfaction(
    rnd: random.Random, feedback_id: int, report: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """The "how satisfied are you?" row of a resolved report (a dict for a Core insert), or
    None: not resolved, anonymous, or (one in ten) not asked. About half answer; some
    dissatisfied residents reopen the report or make a complaint."""
    resolved = report["resolved_at"]
    if resolved is None or report["resident_id"] is None or rnd.random() < 0.1:
        return None
    asked = min(now, resolved + timedelta(minutes=rnd.uniform(1, 60)))
    answered = asked + timedelta(hours=rnd.uniform(0.1, 72))
    row = {
        "feedback_id": feedback_id,
        "resident_id": report["resident_id"],
        "asked_at": asked,
        "answered_at": None,
        "rating": None,
        "comment": None,
        "outcome": None,
    }
    if rnd.random() < 0.45 or answered > now:
        return row  # asked, not answered (every row has every key: one executemany)
    rating = rnd.choices(list(CASE_RATINGS), weights=list(CASE_RATINGS.values()))[0]
    outcome = None
    if rating in ("fairly_dissatisfied", "very_dissatisfied"):
        outcome = rnd.choices(("reopened", "complaint", None), weights=(25, 10, 65))[0]
    comment = rnd.choice(COMMENTS) if rnd.random() < 0.2 else None
    return row | {"answered_at": answered, "rating": rating, "comment": comment, "outcome": outcome}


def residents_needed(residents: int, responses: int) -> int:
    """``residents``, raised so that ``responses`` LCRA households respond at
    ``RESPONSE_RATE`` at most."""
    return max(residents, math.ceil(responses / (RESPONSE_RATE * IN_SCOPE_SHARE)))


@dataclass
class Dataset:
    residents: int
    reports: int
    open_reports: int
    complaints: int
    anonymised: int
    photos: int
    area_ids: list[int]
    staff_area_ids: list[int]
    seconds: float
    hate_incidents: int = 0
    satisfaction_asked: int = 0
    satisfaction_answered: int = 0


def _description(rnd: random.Random) -> str:
    roll = rnd.random()
    count = 1 if roll < 0.3 else rnd.randint(2, 6) if roll < 0.9 else rnd.randint(10, 35)
    parts = [rnd.choice(SENTENCES) for _ in range(count)]
    if count > 3 and rnd.random() < 0.3:
        parts.insert(2, "\n")  # several messages joined, as the bot does
    return " ".join(parts)[:3000]


def _report(
    rnd: random.Random, n: int, now: datetime, resident: tuple[int, int, bool]
) -> dict[str, Any]:
    """One generated report (a dict for a Core insert)."""
    resident_id, area_id, forgotten = resident
    received = now - timedelta(seconds=rnd.uniform(0, 730 * 86400))
    category = rnd.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
    is_complaint = category == "complaint" or rnd.random() < 0.045
    stage = (2 if rnd.random() < 0.15 else 1) if is_complaint else None
    age_days = (now - received).days
    if age_days > 60:
        open_share = 0.01 if not is_complaint else 0.04
    else:
        open_share = 0.35 if not is_complaint else 0.5
    if rnd.random() < open_share:
        status = rnd.choice(("new", "acknowledged", "in_progress"))
        if stage == 2:
            status = rnd.choice(("escalated", "acknowledged", "in_progress"))
    else:
        status = rnd.choices(
            (
                "closed",
                "resolved",
                "duplicate",
                "no_further_action",
                "withdrawn",
                "not_a_complaint",
            ),
            weights=(80, 8, 4, 4, 2, 2 if is_complaint else 0),
        )[0]
    urgent = category in ("repairs", "damp_mould") and rnd.random() < 0.02
    hazard = "emergency" if urgent else "damp_mould" if category == "damp_mould" else None
    # Each later timestamp is capped at now: a report received last week was not closed
    # next month (min() draws nothing, so the seed gives the same reports as before).
    acknowledged = (
        None
        if status in ("new", "escalated")
        else min(now, received + timedelta(hours=rnd.uniform(1, 72)))
    )
    resolved = closed = None
    if status in ("resolved", "closed"):
        resolved = min(now, received + timedelta(days=rnd.uniform(1, 40)))
    if status not in ("new", "acknowledged", "in_progress", "escalated", "resolved"):
        closed = min(now, (resolved or received) + timedelta(days=rnd.uniform(0, 10)))
    day = received.date()
    anonymised = rnd.random() < 0.05
    return {
        "reference": f"FB-{received.year}-{n:06d}",
        "resident_id": None if anonymised else resident_id,
        "neighbourhood_id": area_id if rnd.random() > 0.03 else None,
        "category": category,
        "description": _description(rnd),
        "shares_name": not anonymised and not forgotten and rnd.random() < 0.4,
        "latitude": 51.45 + rnd.random() / 10 if rnd.random() < 0.5 else None,
        "longitude": -0.2 + rnd.random() / 10 if rnd.random() < 0.5 else None,
        "status": status,
        "is_complaint": is_complaint,
        "complaint_stage": stage,
        "urgent": urgent,
        # NM01's second part: about one anti-social behaviour report in 12 (no draw).
        "hate_incident": category == "antisocial" and n % HATE_EVERY == 0,
        "received_at": received,
        "acknowledged_at": acknowledged,
        "resolved_at": resolved,
        "closed_at": closed,
        "ack_due_on": day + timedelta(days=7) if is_complaint else None,
        "response_due_on": day + timedelta(days=14 if stage == 1 else 28) if is_complaint else None,
        "hazard_kind": hazard,
        "make_safe_due_at": received + timedelta(hours=24) if hazard == "emergency" else None,
        "investigate_due_on": day + timedelta(days=14) if hazard == "damp_mould" else None,
        "anonymised_at": received + timedelta(days=400) if anonymised else None,
        "created_at": received,
        "updated_at": closed or resolved or acknowledged or received,
    }


async def fill(url: str, rows: int, residents: int, seed: int) -> Dataset:
    """Migrate and fill the database; the staff member and dashboard users come later."""
    from sqlalchemy import func, insert, select, text

    from bot import migrate
    from bot.db import create_engine, create_sessionmaker
    from bot.models import CaseSatisfaction, Feedback, FeedbackAttachment, Neighbourhood, Resident
    from bot.models.base import utcnow

    started = perf_counter()
    await asyncio.to_thread(migrate.upgrade, url)
    rnd = random.Random(seed)
    now = utcnow()
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions.begin() as db:
            area_ids = list(
                await db.scalars(
                    insert(Neighbourhood).returning(Neighbourhood.id),
                    [
                        {
                            "code": f"estate{i:02d}",
                            "name": f"Estate {i:02d}",
                            "tenure": _area_tenure(i),
                        }
                        for i in range(NEIGHBOURHOODS)
                    ],
                )
            )
        people: list[tuple[int, int, bool]] = []
        for start in range(0, residents, BATCH):
            batch: list[dict[str, Any]] = []
            for n in range(start, min(start + BATCH, residents)):
                forgotten = rnd.random() < 0.02
                joined = now - timedelta(days=rnd.uniform(0, 900))
                area = rnd.choice(area_ids)
                # Every SHARED_HOUSEHOLD_EVERY-th resident lives with the one before (same
                # tenancy reference, same neighbourhood): one survey response between them.
                shares = n % SHARED_HOUSEHOLD_EVERY == 1 and bool(batch)
                batch.append(
                    {
                        "telegram_user_id": None if forgotten else 7_000_000 + n,
                        "chat_id": None if forgotten else 7_000_000 + n,
                        "display_name": None if forgotten else f"Resident {n}",
                        "neighbourhood_id": batch[-1]["neighbourhood_id"] if shares else area,
                        "consented_at": joined,
                        "onboarded_at": joined,
                        "forgotten_at": now if forgotten else None,
                        "active": not forgotten,
                        # Leaseholders and private tenants on the estates: not surveyed.
                        "tenure": "none" if n % NO_TENURE_EVERY == NO_TENURE_EVERY // 2 else None,
                        "household_ref": f"T/{n - 1:06d}"
                        if shares
                        else f"T/{n:06d}"
                        if n % SHARED_HOUSEHOLD_EVERY == 0
                        else None,
                    }
                )
            async with sessions.begin() as db:
                ids = list(await db.scalars(insert(Resident).returning(Resident.id), batch))
            people.extend(
                (i, b["neighbourhood_id"], b["forgotten_at"] is not None)
                for i, b in zip(ids, batch, strict=True)
            )
            log(f"  residents {len(people)}/{residents}")
        photos = asked = answered = 0
        # Its own generator, so the reports are those the seed gave before it was added.
        satisfaction_rnd = random.Random(seed + 1)
        for start in range(0, rows, BATCH):
            who = []
            batch = []
            for n in range(start, min(start + BATCH, rows)):
                who.append(rnd.choice(people))
                batch.append(_report(rnd, n, now, who[-1]))
            async with sessions.begin() as db:
                ids = list(await db.scalars(insert(Feedback).returning(Feedback.id), batch))
                ratings = [
                    row
                    for i, report, (_, _, forgotten) in zip(ids, batch, who, strict=True)
                    if not forgotten
                    and (row := _case_satisfaction(satisfaction_rnd, i, report, now)) is not None
                ]
                if ratings:
                    await db.execute(insert(CaseSatisfaction), ratings)
                asked += len(ratings)
                answered += sum(row["rating"] is not None for row in ratings)
                shots = [
                    {
                        "feedback_id": i,
                        "telegram_file_id": f"file-{i}-{k}",
                        "file_unique_id": f"u-{i}-{k}",
                    }
                    for i in ids
                    if rnd.random() < 0.12
                    for k in range(rnd.randint(1, 3))
                ]
                if shots:
                    await db.execute(insert(FeedbackAttachment), shots)
                photos += len(shots)
            log(f"  reports {min(start + BATCH, rows)}/{rows}")
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        async with sessions() as db:
            finished = (
                "resolved",
                "closed",
                "duplicate",
                "not_a_complaint",
                "no_further_action",
                "withdrawn",
            )
            counts = (
                await db.execute(
                    select(
                        func.count(),
                        func.count().filter(Feedback.status.not_in(finished)),
                        func.count().filter(Feedback.is_complaint.is_(True)),
                        func.count().filter(Feedback.anonymised_at.is_not(None)),
                        func.count().filter(Feedback.hate_incident.is_(True)),
                    ).select_from(Feedback)
                )
            ).one()
    finally:
        await engine.dispose()
    return Dataset(
        residents=residents,
        reports=counts[0],
        open_reports=counts[1],
        complaints=counts[2],
        anonymised=counts[3],
        photos=photos,
        area_ids=area_ids,
        staff_area_ids=sorted(rnd.sample(area_ids, STAFF_AREAS)),
        seconds=round(perf_counter() - started, 1),
        hate_incidents=counts[4],
        satisfaction_asked=asked,
        satisfaction_answered=answered,
    )


# ----- the TSM survey, homes per tenure and polls ------------------------------------------------


@dataclass
class SurveyFill:
    """One survey year as filled."""

    year_id: int
    starts_on: str
    tenure: str
    status: str
    invited: int = 0
    responses: int = 0  # achieved: TP01 answered
    completed: int = 0
    declined: int = 0
    refused: int = 0
    reminded: int = 0
    answers: int = 0


@dataclass
class TsmFill:
    years: list[SurveyFill]
    homes: dict[str, dict[str, int]]  # reporting year -> tenure -> homes
    polls: int
    ballots: int
    seconds: float

    def year(self, starts_on: str, tenure: str) -> SurveyFill | None:
        return next(
            (y for y in self.years if y.starts_on == starts_on and y.tenure == tenure), None
        )


def _survey_answer(rnd: random.Random, question: Any) -> Any:
    """One resident's answer to ``question``: a filter's yes or no, or a point of its scale
    weighted to the measure's share satisfied; now and then an unprompted "no answer"."""
    from bot.survey.questions import Answer, Scale, options

    if rnd.random() < 0.01:
        return Answer.NO_ANSWER
    if question.scale is Scale.YES_NO:
        return Answer.YES if rnd.random() < FILTER_YES[question.code] else Answer.NO
    share = SATISFIED_SHARE[question.code]
    # Very, fairly, neither, fairly dis-, very dis- (or the agreement scale's five), then
    # "not applicable" where the question offers it.
    weights = [0.48 * share, 0.52 * share, 0.35 * (1 - share), 0.3 * (1 - share)]
    weights += [0.35 * (1 - share), 0.03][: len(options(question)) - 4]
    return rnd.choices(options(question), weights=weights)[0]


def _response(
    rnd: random.Random, measures: tuple[str, ...], partial: bool
) -> tuple[list[tuple[str, Any]], bool]:
    """One respondent's answers in the order asked (``questions.next_question``, so the
    filters gate as they do for a resident), and whether they finished; a partial one
    stops after 1 to 10 answers."""
    from bot.survey.questions import next_question

    stop = rnd.randint(1, 10) if partial else len(measures) + 3  # more than can be asked
    given: dict[str, Any] = {}
    while (question := next_question(given, measures=measures)) is not None:
        if len(given) == stop:
            return list(given.items()), False
        given[question.code] = _survey_answer(rnd, question)
    return list(given.items()), True


async def _fill_survey_year(
    sessions: Any,
    rnd: random.Random,
    residents: list[Any],
    *,
    tenure: str,
    starts_on: Any,
    opened: datetime,
    end: datetime,
    closed: bool,
    rate: float,
    homes: int,
) -> SurveyFill:
    """One year's census of ``residents`` (those in scope of ``tenure``): about ``rate`` of
    the households respond (one member each), a few stop part way; of the rest some
    decline, a few start and answer nothing, household members of a respondent who try are
    refused; whoever has not answered is reminded up to twice, a week apart."""
    from sqlalchemy import insert

    from bot.models import SurveyAnswer, SurveyInvitation, SurveyYear
    from bot.survey.answering import household_key, measures_for
    from bot.survey.invitations import MAX_REMINDERS, REMINDER_GAP
    from bot.survey.sampling import required_sample

    measures = measures_for(tenure)
    households: dict[str, list[Any]] = {}
    for resident in residents:
        households.setdefault(household_key(resident), []).append(resident)
    keys = list(households)
    rnd.shuffle(keys)
    answering = {rnd.choice(households[key]).id for key in keys[: round(rate * len(keys))]}
    answered_households = {key for key in keys if answering & {r.id for r in households[key]}}
    possible = min(MAX_REMINDERS, int((end - opened) / REMINDER_GAP))
    async with sessions.begin() as db:
        year_id = await db.scalar(
            insert(SurveyYear).returning(SurveyYear.id),
            {
                "starts_on": starts_on,
                "tenure": tenure,
                "method": "census",
                "target": required_sample(homes).n,
                "homes": homes,
                "seed": rnd.randrange(2**31),
                "status": "closed" if closed else "open",
                "opened_at": opened,
                "closed_at": end if closed else None,
                "opened_by": "user:bench-admin",
                "summary": {"g": "None: run in house.", "j": "None."} if closed else {},
            },
        )
    fill = SurveyFill(year_id, starts_on.isoformat(), tenure, "closed" if closed else "open")
    fill.invited = len(residents)
    for start in range(0, len(residents), BATCH):
        invitations: list[dict[str, Any]] = []
        responses: list[list[tuple[str, Any]]] = []
        for resident in residents[start : start + BATCH]:
            key = household_key(resident)
            row: dict[str, Any] = {
                "survey_year_id": year_id,
                "resident_id": resident.id,
                "household_key": key,
                "neighbourhood_id": resident.neighbourhood_id,
                "tenure": tenure,
                "invited_at": opened,
                "reminders": possible,
                "reminded_at": opened + possible * REMINDER_GAP if possible else None,
                "declined_at": None,
                "started_at": None,
                "completed_at": None,
                "refused_at": None,
            }
            answers: list[tuple[str, Any]] = []
            finished = False
            roll = rnd.random()
            if resident.id in answering:
                reminders = min(possible, rnd.choices((0, 1, 2), weights=(45, 35, 20))[0])
                nudged = opened + reminders * REMINDER_GAP
                room = max(timedelta(0), min(timedelta(days=6), end - nudged - timedelta(hours=1)))
                row["reminders"] = reminders
                row["reminded_at"] = nudged if reminders else None
                row["started_at"] = nudged + rnd.random() * room
                answers, finished = _response(rnd, measures, partial=roll < 0.08)
                fill.responses += 1
            elif key in answered_households:
                # Not reminded once the household had started (at most once before).
                row["reminders"] = min(possible, 1)
                row["reminded_at"] = opened + REMINDER_GAP if possible else None
                if roll < 0.3:  # pressed Start after their household had answered
                    row["refused_at"] = opened + rnd.random() * (end - opened)
                    fill.refused += 1
            elif roll < 0.12:
                row["reminders"] = min(possible, rnd.randint(0, 1))
                row["reminded_at"] = opened + REMINDER_GAP if row["reminders"] else None
                row["declined_at"] = (row["reminded_at"] or opened) + timedelta(
                    hours=rnd.uniform(0, 48)
                )
                fill.declined += 1
            elif roll < 0.14:  # started, then never answered TP01: not a response
                row["started_at"] = opened + rnd.random() * (end - opened)
            fill.reminded += row["reminders"] > 0
            if finished:  # the last answer's time (ANSWER_GAP apart, from started_at)
                row["completed_at"] = row["started_at"] + len(answers) * ANSWER_GAP
                fill.completed += 1
            invitations.append(row)
            responses.append(answers)
        async with sessions.begin() as db:
            ids = list(
                await db.scalars(
                    insert(SurveyInvitation).returning(SurveyInvitation.id), invitations
                )
            )
            rows = [
                {
                    "invitation_id": invitation_id,
                    "code": code,
                    "answer": answer.value,
                    "answered_at": row["started_at"] + (n + 1) * ANSWER_GAP,
                }
                for invitation_id, row, answers in zip(ids, invitations, responses, strict=True)
                for n, (code, answer) in enumerate(answers)
            ]
            if rows:
                await db.execute(insert(SurveyAnswer), rows)
        fill.answers += len(rows)
    log(
        f"  survey {starts_on.year}/{(starts_on.year + 1) % 100:02d} {tenure.upper()}: "
        f"{fill.invited} invited, {fill.responses} responses, {fill.answers} answers"
    )
    return fill


# A few neighbourhood polls over the last eight months, four options each; a quarter of the
# residents vote in each, and a multiple-choice poll's voters often choose two options.
POLLS_SQL = (
    """INSERT INTO polls (question, several, neighbourhood_ids, topic_ids, closes_at, status,
        created_by, created_at, sent_at, asked)
    SELECT 'Which day suits the estate clean-up ' || g || '?', g % 3 = 0, '[]', '[]',
        now() - g * interval '30 days' + interval '7 days', 'sent', 'user:bench-admin',
        now() - g * interval '30 days', now() - g * interval '30 days',
        (SELECT count(*) FROM residents WHERE forgotten_at IS NULL)
    FROM generate_series(1, 8) AS g""",
    """INSERT INTO poll_options (poll_id, position, label)
    SELECT p.id, g, 'Option ' || g FROM polls p, generate_series(1, 4) AS g""",
    """INSERT INTO poll_ballots (poll_id, resident_id, voted_at)
    SELECT p.id, r.id, p.sent_at + (r.id % 97) * interval '1 hour'
    FROM polls p JOIN residents r ON (r.id + p.id) % 4 = 0 AND r.forgotten_at IS NULL""",
    """INSERT INTO poll_votes (ballot_id, poll_id, resident_id, option_id)
    SELECT b.id, b.poll_id, b.resident_id, o.id FROM poll_ballots b
    JOIN poll_options o ON o.poll_id = b.poll_id AND o.position = 1 + b.resident_id % 4""",
    """INSERT INTO poll_votes (ballot_id, poll_id, resident_id, option_id)
    SELECT b.id, b.poll_id, b.resident_id, o.id FROM poll_ballots b
    JOIN polls p ON p.id = b.poll_id AND p.several AND b.resident_id % 2 = 0
    JOIN poll_options o ON o.poll_id = b.poll_id AND o.position = 1 + (b.resident_id + 1) % 4""",
)


async def fill_tsm(url: str, tz: Any, responses: int, seed: int) -> TsmFill:
    """The TSM survey of this reporting year (open) and of the last (closed), LCRA and LCHO
    each, the homes per tenure for both years, and a few polls."""
    from sqlalchemy import insert, text

    from bot.db import create_engine, create_sessionmaker
    from bot.models import TsmHomes
    from bot.models.base import utcnow
    from bot.reports.tsm_return import year_bounds
    from bot.survey.answering import household_key, reporting_year_of
    from bot.survey.invitations import residents_in_scope

    started = perf_counter()
    rnd = random.Random(seed + 2)
    now = utcnow()
    current = reporting_year_of(now, tz)
    previous = current.replace(year=current.year - 1)
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as db:
            scope = {tenure: await residents_in_scope(db, tenure) for tenure in ("lcra", "lcho")}
        households = len({household_key(r) for r in scope["lcra"]})
        rate = min(1.0, responses / households) if households else 0.0
        homes = {
            tenure: max(1, round(len(people) * HOMES_PER_RESIDENT))
            for tenure, people in scope.items()
        }
        years: list[SurveyFill] = []
        begin = year_bounds(current, tz)[0]
        last_begin = year_bounds(previous, tz)[0]
        windows = (
            # This year's: opened a quarter of the way from 1 April to now, still open.
            (current, begin + (now - begin) / 4, now - timedelta(minutes=1), False),
            # Last year's: run over ten weeks from August, closed.
            (previous, last_begin + timedelta(days=125), last_begin + timedelta(days=195), True),
        )
        for starts_on, opened, end, closed in windows:
            for tenure, people in scope.items():
                if people:
                    years.append(
                        await _fill_survey_year(
                            sessions,
                            rnd,
                            people,
                            tenure=tenure,
                            starts_on=starts_on,
                            opened=opened,
                            end=end,
                            closed=closed,
                            rate=rate,
                            homes=homes[tenure],
                        )
                    )
        async with sessions.begin() as db:
            await db.execute(
                insert(TsmHomes),
                [
                    {"year_start": year, "tenure": tenure, "homes": count}
                    for year in (current, previous)
                    for tenure, count in homes.items()
                ],
            )
        async with engine.begin() as conn:
            for statement in POLLS_SQL:
                await conn.execute(text(statement))
            polls = int((await conn.execute(text("SELECT count(*) FROM polls"))).scalar_one())
            ballots = int(
                (await conn.execute(text("SELECT count(*) FROM poll_ballots"))).scalar_one()
            )
    finally:
        await engine.dispose()
    return TsmFill(
        years=years,
        homes={str(year): homes for year in (current.year, previous.year)},
        polls=polls,
        ballots=ballots,
        seconds=round(perf_counter() - started, 1),
    )


# The report's inputs besides the reports themselves, added server-side in SQL.
HISTORY_SQL = (
    # Each report's lifecycle, as its timestamps say.
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, NULL, 'new', received_at, 'resident' FROM feedback""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'new', 'acknowledged', acknowledged_at, 'bench' FROM feedback
    WHERE acknowledged_at IS NOT NULL""",
    # Stage 2 complaints: answered at stage 1, then escalated by the resident.
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'acknowledged', 'resolved', received_at + interval '6 days', 'bench'
    FROM feedback WHERE complaint_stage = 2""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'resolved', 'escalated', received_at + interval '8 days', 'resident'
    FROM feedback WHERE complaint_stage = 2""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'in_progress', 'resolved', resolved_at, 'bench' FROM feedback
    WHERE resolved_at IS NOT NULL""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'in_progress', status, closed_at, 'bench' FROM feedback
    WHERE closed_at IS NOT NULL""",
    """INSERT INTO events (title, description, place, starts_at, ends_at, max_party,
        waitlist_skip_ahead, status, sequence, last_position, created_at, updated_at)
    SELECT 'Coffee morning ' || g, 'Tea, cake and a chat', 'Community hall',
        now() - g * interval '7 days', now() - g * interval '7 days' + interval '2 hours', 3,
        false, CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'published' END, 0, 0, now(), now()
    FROM generate_series(1, 100) AS g""",
    """INSERT INTO event_bookings (event_id, resident_id, party_size, status, position,
        requested_at, booked_at, attended, said_attended, rating, created_at, updated_at)
    SELECT e.id, r.id, 1 + r.id % 3, 'booked', r.id, e.starts_at - interval '3 days',
        e.starts_at - interval '3 days', r.id % 5 <> 0, NULL,
        CASE WHEN r.id % 3 = 0 THEN 1 + (r.id + e.id) % 5 END, now(), now()
    FROM events e JOIN residents r ON (r.id + e.id) % 300 = 0""",
    """INSERT INTO announcements (text, urgent, neighbourhood_ids, topic_ids, status,
        created_at, updated_at)
    SELECT 'Monthly update ' || g, false, '[]', '[]', 'sent', now(), now()
    FROM generate_series(1, 26) AS g""",
    """INSERT INTO broadcasts (announcement_id, scheduled_for, started_at, status, recipients)
    SELECT id, now() - id * interval '28 days', now() - id * interval '28 days', 'sent', 0
    FROM announcements""",
    """INSERT INTO deliveries (kind, chat_id, resident_id, broadcast_id, payload, status, urgent,
        priority, not_before, attempts, created_at, sent_at)
    SELECT 'broadcast', coalesce(r.chat_id, 0), r.id, b.id, '{}',
        CASE WHEN r.id % 50 = 0 THEN 'failed' ELSE 'sent' END, false, 5, b.started_at, 1,
        b.started_at, b.started_at
    FROM broadcasts b JOIN residents r ON (r.id + b.id) % 2 = 0""",
)


async def fill_history(url: str) -> dict[str, int]:
    """Status history, events, bookings and broadcast deliveries for the report page."""
    from sqlalchemy import text

    from bot.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in HISTORY_SQL:
                await conn.execute(text(statement))
            counts = {
                table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                for table in ("feedback_status_changes", "events", "event_bookings", "deliveries")
            }
        # What autovacuum does after so many inserts (autovacuum_vacuum_insert_threshold):
        # statistics, and pages marked all-visible, so index-only scans work as on a live
        # database. VACUUM runs outside a transaction.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return counts


def report_cases(today: Any) -> list[tuple[str, dict[str, str]]]:
    year_ago = today - timedelta(days=365)
    two_years_ago = today - timedelta(days=731)
    return [
        ("last full quarter (default)", {}),
        ("last 12 months", {"from": year_ago.isoformat(), "to": today.isoformat()}),
        ("two years (everything)", {"from": two_years_ago.isoformat(), "to": today.isoformat()}),
    ]


def tsm_cases(today: Any, tsm: TsmFill) -> list[tuple[str, str, dict[str, str]]]:
    """(path, case, query): the TSM return for this reporting year and the last (the page's
    default), its CSV, and this year's LCRA survey page."""
    from bot.reports.tsm_return import default_year, year_start_of

    current, last = year_start_of(today), default_year(today)
    words = {y: f"{y.year}/{(y.year + 1) % 100:02d}" for y in (current, last)}
    cases = [
        ("/tsm", f"{words[current]} (this year, open)", {"year": str(current.year)}),
        ("/tsm", f"{words[last]} (default: last year)", {}),
        ("/tsm.csv", f"{words[current]} (this year)", {"year": str(current.year)}),
        ("/tsm.csv", f"{words[last]} (default: last year)", {}),
    ]
    survey = tsm.year(current.isoformat(), "lcra")
    if survey is not None:
        cases.append(
            (
                f"/survey/{survey.year_id}",
                f"{words[current]} LCRA, {survey.responses} responses",
                {},
            )
        )
    return cases


async def add_users(sessions: Any, staff_area_ids: list[int]) -> None:
    """An admin and a staff user linked to a staff member covering ``staff_area_ids``."""
    from sqlalchemy import insert

    from bot.accounts.users import create_user
    from bot.models import StaffMember
    from bot.models.staff import staff_neighbourhoods

    async with sessions.begin() as db:
        member = StaffMember(
            telegram_user_id=6_000_001, chat_id=6_000_001, name="Bench Officer", role="staff"
        )
        db.add(member)
        await db.flush()
        await db.execute(
            insert(staff_neighbourhoods),
            [{"staff_id": member.id, "neighbourhood_id": area} for area in staff_area_ids],
        )
        await create_user(db, "bench-admin", PASSWORDS["bench-admin"], "admin", actor="bench")
        await create_user(
            db,
            "bench-staff",
            PASSWORDS["bench-staff"],
            "staff",
            actor="bench",
            staff_member_id=member.id,
        )


# ----- the inbox over HTTP -----------------------------------------------------------------------


@dataclass
class PageCase:
    user: str
    case: str
    query: dict[str, str]
    path: str = "/feedback"
    matches: int | None = None
    more_than: bool = False  # the page counts up to a limit: "more than <matches>"
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    errors: int = 0
    goal_met: bool = False


async def login(base: str, username: str) -> Any:
    """A browser-like client session (its own cookie jar), logged in as ``username``."""
    import aiohttp

    # unsafe=True: the default jar refuses cookies from an IP address such as 127.0.0.1.
    client = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with client.get("/login") as form:
        found = _CSRF.search(await form.text())
    if found is None:
        await client.close()
        raise RuntimeError("no CSRF field on the login page")
    data = {
        "csrf_token": found.group(1),
        "username": username,
        "password": PASSWORDS[username],
        "code": "",
    }
    async with client.post("/login", data=data, allow_redirects=False) as response:
        if response.status != 303:
            body = await response.text()
            await client.close()
            raise RuntimeError(f"login as {username} answered {response.status}: {body[:300]}")
    return client


async def time_page(
    client: Any, case: PageCase, requests: int, warmups: int, goal_ms: float = INBOX_P95_GOAL_MS
) -> None:
    timings: list[float] = []
    for attempt in range(warmups + requests):
        started = perf_counter()
        async with client.get(case.path, params=case.query, allow_redirects=False) as response:
            body = await response.read()
        elapsed = perf_counter() - started
        if response.status != 200:
            case.errors += 1
            continue
        if attempt == 0:
            found = _MATCHES.search(body.decode("utf-8", "replace"))
            case.matches = int(found.group(2).replace(",", "")) if found else None
            case.more_than = bool(found and found.group(1))
        if attempt >= warmups:
            timings.append(elapsed)
    case.p50_ms = milliseconds(timings, 0.5)
    case.p95_ms = milliseconds(timings, 0.95)
    case.max_ms = milliseconds(timings, 1.0)
    case.goal_met = case.errors == 0 and case.p95_ms is not None and case.p95_ms < goal_ms


def inbox_cases(area_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("unfiltered", {}),
        ("open only", {"status": "open"}),
        ("overdue only", {"overdue": "yes"}),
        ("repairs in one neighbourhood", {"category": "repairs", "neighbourhood": str(area_id)}),
        ('free text "boiler"', {"q": "boiler"}),
        ("sorted by next due", {"sort": "due"}),
    ]


# ----- the export --------------------------------------------------------------------------------


class Discard(io.RawIOBase):
    """A binary file that counts what is written to it and keeps none of it."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(data)
        self.bytes += size
        return size


@dataclass
class Export:
    measured: str  # "web route GET /feedback/export.csv" or "module ..."
    rows: int
    export_seconds: list[float] = field(default_factory=list)
    export_bytes: int = 0
    copy_seconds: list[float] = field(default_factory=list)
    copy_bytes: int = 0
    export_rows_per_second: float = 0.0
    copy_rows_per_second: float = 0.0
    ratio: float = 0.0
    rss_before_mb: float = 0.0
    peak_rss_mb: float = 0.0
    peak_rss_growth_mb: float = 0.0
    peak_rss_source: str = ""
    tracemalloc_peak_mb: float = 0.0
    ratio_goal_met: bool = False
    memory_goal_met: bool = False


def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def copy_sql(tz: Any) -> str:
    """The exporter's own SELECT (same columns, joins and order) as literal SQL."""
    from sqlalchemy.dialects import postgresql

    from bot.feedback.export import feedback_rows_query
    from bot.models.base import utcnow

    statement = feedback_rows_query(None, None, tz, utcnow(), (), None)
    return str(
        statement.compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
    )


async def measure_export(
    url: str, sessions: Any, tz: Any, base: str, admin: Any, web_route: bool, runs: int, rows: int
) -> Export:
    import asyncpg

    from bot.feedback.export import export_feedback

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    sql = copy_sql(tz)
    measured = (
        f"web route GET {EXPORT_ROUTE} (as the admin, over HTTP)"
        if web_route
        else "module bot.feedback.export.export_feedback (no web route yet), to a discarding sink"
    )
    result = Export(measured=measured, rows=rows)

    async def one_export() -> tuple[int, int]:
        """(rows, bytes) of one full export."""
        if web_route:
            size = 0
            async with admin.get(EXPORT_ROUTE) as response:
                if response.status != 200:
                    raise RuntimeError(f"{EXPORT_ROUTE} answered {response.status}")
                async for chunk in response.content.iter_chunked(1 << 16):
                    size += len(chunk)
            return rows, size
        sink = Discard()
        count = await export_feedback(sessions, cast(BinaryIO, sink), "csv", tz=tz)
        return count, sink.bytes

    async def one_copy() -> int:
        size = 0

        async def discard(data: bytes) -> None:
            nonlocal size
            size += len(data)

        conn = await asyncpg.connect(dsn)
        try:
            await conn.copy_from_query(sql, output=discard, format="csv", header=True)
        finally:
            await conn.close()
        return size

    peak_kib = 0
    before_kib = 0
    for run in range(runs):
        log(f"  COPY run {run + 1}/{runs}")
        started = perf_counter()
        result.copy_bytes = await one_copy()
        result.copy_seconds.append(round(perf_counter() - started, 3))
        log(f"  export run {run + 1}/{runs}")
        gc.collect()
        rss = _status_kib("VmRSS") or 0
        reset = _reset_peak_rss()
        started = perf_counter()
        count, result.export_bytes = await one_export()
        result.export_seconds.append(round(perf_counter() - started, 3))
        if reset and (hwm := _status_kib("VmHWM")) is not None:
            result.peak_rss_source = "VmHWM, reset just before each export run"
            if hwm > peak_kib:
                peak_kib, before_kib = hwm, rss
        else:
            result.peak_rss_source = (
                "ru_maxrss: the process's lifetime peak (may predate the export)"
            )
            peak_kib, before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rss
        if count != rows:
            log(f"  the export wrote {count} rows, not {rows}")
            result.rows = count
    log("  export run with tracemalloc")
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        await one_export()
        result.tracemalloc_peak_mb = round(
            (tracemalloc.get_traced_memory()[1] - baseline) / 2**20, 1
        )
    finally:
        tracemalloc.stop()
    result.export_rows_per_second = round(result.rows / min(result.export_seconds))
    result.copy_rows_per_second = round(result.rows / min(result.copy_seconds))
    result.ratio = round(result.export_rows_per_second / result.copy_rows_per_second, 3)
    result.rss_before_mb = round(before_kib / 1024, 1)
    result.peak_rss_mb = round(peak_kib / 1024, 1)
    result.peak_rss_growth_mb = round((peak_kib - before_kib) / 1024, 1)
    result.ratio_goal_met = result.ratio >= EXPORT_RATIO_GOAL
    result.memory_goal_met = result.peak_rss_mb < EXPORT_MEMORY_GOAL_MB
    return result


# ----- the run -----------------------------------------------------------------------------------


@dataclass
class Result:
    version: str
    dataset: Dataset
    inbox: list[PageCase]
    report_page: str
    export: Export
    report: list[PageCase] = field(default_factory=list)
    tsm_fill: TsmFill | None = None
    tsm: list[PageCase] = field(default_factory=list)  # TSM return and survey pages

    @property
    def inbox_goal_met(self) -> bool:
        return all(case.goal_met for case in self.inbox)

    @property
    def report_goal_met(self) -> bool | None:
        return all(case.goal_met for case in self.report) if self.report else None

    @property
    def tsm_goal_met(self) -> bool | None:
        return all(case.goal_met for case in self.tsm) if self.tsm else None


def has_route(app: Any, method: str, path: str) -> bool:
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if route.method == method and (info.get("path") == path or info.get("formatter") == path):
            return True
    return False


async def run(args: argparse.Namespace, workdir: Path) -> Result:
    from aiohttp import web

    from bot.config import load_settings
    from bot.db import create_engine, create_sessionmaker
    from bot.web.app import create_app

    residents = residents_needed(args.residents, args.survey_responses)
    if residents > args.residents:
        log(f"--residents raised to {residents} for {args.survey_responses} survey responses")
    async with database("postgresql", workdir, args.postgres_dsn) as url:
        settings = load_settings(database_url=url, web_host="127.0.0.1", web_port=0, _env_file=None)
        log(f"filling {url.rsplit('/', 1)[1]}: {residents} residents, {args.rows} reports ...")
        dataset = await fill(url, args.rows, residents, args.seed)
        log(f"  filled in {dataset.seconds} s")
        log("adding the TSM survey years, homes per tenure and polls ...")
        tsm_fill = await fill_tsm(url, settings.tz, args.survey_responses, args.seed)
        log(f"  filled in {tsm_fill.seconds} s")
        log("adding status history, events and broadcasts for the report page ...")
        history = await fill_history(url)
        engine = create_engine(settings.database_url)
        sessions = create_sessionmaker(engine)
        runner: web.AppRunner | None = None
        clients: list[Any] = []
        try:
            await add_users(sessions, dataset.staff_area_ids)
            app = create_app(settings, sessions)
            web_route = has_route(app, "GET", EXPORT_ROUTE)
            report_route = any(
                has_route(app, "GET", path)
                for path in ("/report", "/reports", "/impact", "/report/impact")
            )
            tsm_routes = {
                path: has_route(app, "GET", path)
                for path in ("/tsm", "/tsm.csv", "/survey/{year_id}")
            }
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            base = f"http://{host}:{port}"
            log(f"dashboard at {base}")
            admin = await login(base, "bench-admin")
            clients.append(admin)
            staff = await login(base, "bench-staff")
            clients.append(staff)
            cases: list[PageCase] = []
            for user, client in (("admin", admin), ("staff", staff)):
                for name, query in inbox_cases(dataset.staff_area_ids[0]):
                    case = PageCase(user, name, query)
                    log(f"  inbox as {user}: {name}")
                    await time_page(client, case, args.requests, args.warmups)
                    cases.append(case)
            today = datetime.now(settings.tz).date()
            report: list[PageCase] = []
            if report_route:
                for name, query in report_cases(today):
                    case = PageCase("admin", name, query, "/report")
                    log(f"  report page: {name}")
                    await time_page(admin, case, args.requests, args.warmups, PAGE_GOAL_MS)
                    report.append(case)
            tsm: list[PageCase] = []
            for path, name, query in tsm_cases(today, tsm_fill):
                route = "/survey/{year_id}" if path.startswith("/survey/") else path
                if not tsm_routes[route]:
                    log(f"  no route GET {route}: not measured")
                    continue
                case = PageCase("admin", name, query, path)
                log(f"  {path}: {name}")
                await time_page(admin, case, args.requests, args.warmups, PAGE_GOAL_MS)
                tsm.append(case)
            report_page = (
                f"GET /report as the admin; history added: {history}"
                if report_route
                else "not built yet"
            )
            log("export ...")
            export = await measure_export(
                url,
                sessions,
                settings.tz,
                base,
                admin,
                web_route,
                args.export_runs,
                dataset.reports,
            )
        finally:
            for client in clients:
                await client.close()
            if runner is not None:
                await runner.cleanup()
            await engine.dispose()
    return Result(tree_version(), dataset, cases, report_page, export, report, tsm_fill, tsm)


def per_10k(seconds: float, count: int) -> float | str:
    """Seconds per 10,000 of ``count`` things ("-" for none)."""
    return round(seconds * 10_000 / count, 1) if count else "-"


def yes(flag: bool) -> str:
    return "met" if flag else "NOT met"


def _shown(value: float | None) -> str:
    return "-" if value is None else str(value)


def report(result: Result) -> str:
    d, e = result.dataset, result.export
    lines = [
        f"Doorstep dashboard benchmark ({result.version}), PostgreSQL",
        f"data: {d.reports} reports ({d.open_reports} open, {d.complaints} complaints, "
        f"{d.anonymised} anonymised, {d.photos} photos), {d.residents} residents, "
        f"{len(d.area_ids)} neighbourhoods; the staff user covers {STAFF_AREAS}; "
        f"filled in {d.seconds} s ({per_10k(d.seconds, d.reports)} s per 10,000 reports)",
        f"  {d.hate_incidents} anti-social behaviour reports involve a hate incident; "
        f"satisfaction with case handling asked about {d.satisfaction_asked} resolved "
        f"reports, {d.satisfaction_answered} answered",
    ]
    t = result.tsm_fill
    if t is not None:
        responses = sum(y.responses for y in t.years)
        lines.append(
            f"TSM: {responses} survey responses in {len(t.years)} survey years, "
            f"{sum(y.answers for y in t.years)} answers; homes per tenure {t.homes}; "
            f"{t.polls} polls, {t.ballots} ballots; filled in {t.seconds} s "
            f"({per_10k(t.seconds, responses)} s per 10,000 responses)"
        )
        lines += [
            f"  {y.starts_on} {y.tenure.upper()} (id {y.year_id}, {y.status}): {y.invited} "
            f"invited, {y.responses} responses ({y.completed} complete), {y.declined} "
            f"declined, {y.refused} refused (household answered), {y.reminded} reminded"
            for y in t.years
        ]
    lines += [
        "",
        "inbox GET /feedback (ms, from request to last byte)",
        f"{'user':6} {'case':30} {'matches':>8} {'p50':>7} {'p95':>7} {'max':>7} {'errors':>6}"
        f"  goal p95<{INBOX_P95_GOAL_MS:.0f}",
    ]
    for c in result.inbox:
        lines.append(
            f"{c.user:6} {c.case:30} {('>' if c.more_than else '') + _shown(c.matches):>8} "
            f"{_shown(c.p50_ms):>7} "
            f"{_shown(c.p95_ms):>7} {_shown(c.max_ms):>7} {c.errors:>6}  {yes(c.goal_met)}"
        )
    lines += [
        "",
        f"report page: {result.report_page}",
        "report, TSM return and survey pages as the admin (ms, from request to last byte)",
    ]
    if result.report or result.tsm:
        lines.append(
            f"{'page':12} {'case':40} {'p50':>7} {'p95':>7} {'max':>7} {'errors':>6}"
            f"  goal p95<{PAGE_GOAL_MS:.0f}"
        )
    for c in result.report + result.tsm:
        lines.append(
            f"{c.path:12} {c.case:40} {_shown(c.p50_ms):>7} "
            f"{_shown(c.p95_ms):>7} {_shown(c.max_ms):>7} {c.errors:>6}  {yes(c.goal_met)}"
        )
    lines += [
        "",
        f"export measured: {e.measured}",
        f"  CSV export: {e.rows} rows, {e.export_bytes / 2**20:.1f} MiB, "
        f"runs {e.export_seconds} s, "
        f"best {e.export_rows_per_second} rows/s",
        f"  COPY floor: {e.rows} rows, {e.copy_bytes / 2**20:.1f} MiB, runs {e.copy_seconds} s, "
        f"best {e.copy_rows_per_second} rows/s",
        f"  ratio export/COPY: {e.ratio:.3f} (goal >= {EXPORT_RATIO_GOAL:.3f})",
        f"  peak RSS of the process during the export: {e.peak_rss_mb} MB "
        f"(before {e.rss_before_mb} MB, growth {e.peak_rss_growth_mb} MB; {e.peak_rss_source})",
        "  tracemalloc peak of Python allocations during a separate run: "
        f"{e.tracemalloc_peak_mb} MB",
        "",
        "goals:",
        f"  inbox p95 < {INBOX_P95_GOAL_MS:.0f} ms (every case, both users): "
        f"{yes(result.inbox_goal_met)}",
        f"  report page p95 < {REPORT_GOAL_S:.0f} s (every period): "
        + (yes(result.report_goal_met) if result.report_goal_met is not None else "not measured"),
        f"  TSM return, its CSV and the survey page p95 < {REPORT_GOAL_S:.0f} s (every case): "
        + (yes(result.tsm_goal_met) if result.tsm_goal_met is not None else "not measured"),
        f"  export >= 1/3 of COPY's rate: {yes(e.ratio_goal_met)}",
        f"  export peak RSS < {EXPORT_MEMORY_GOAL_MB:.0f} MB: {yes(e.memory_goal_met)}",
    ]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-dashboard-") as tmp:
        try:
            result = await run(args, Path(tmp))
        except Skipped as skip:
            if args.json:
                print(json.dumps({"version": tree_version(), "skipped": str(skip)}, indent=2))
            else:
                print(f"skipped: {skip}")
            return 0
    if args.json:
        payload = asdict(result)
        payload["goals"] = {
            "inbox_p95_under_150_ms": result.inbox_goal_met,
            "report_under_1_s": result.report_goal_met,
            "tsm_and_survey_pages_under_1_s": result.tsm_goal_met,
            "export_at_least_a_third_of_copy": result.export.ratio_goal_met,
            "export_peak_rss_under_200_mb": result.export.memory_goal_met,
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(report(result))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--rows", type=int, default=100_000, help="feedback reports (default 100000)"
    )
    parser.add_argument(
        "--residents",
        type=int,
        default=10_000,
        help="residents (default 10000; raised to fit --survey-responses)",
    )
    parser.add_argument(
        "--survey-responses",
        type=int,
        default=10_000,
        help="LCRA households responding to each year's TSM survey (default 10000)",
    )
    parser.add_argument("--requests", type=int, default=50, help="timed requests per inbox case")
    parser.add_argument("--warmups", type=int, default=5, help="untimed requests first")
    parser.add_argument("--export-runs", type=int, default=2, help="timed export and COPY runs")
    parser.add_argument("--seed", type=int, default=5, help="the data generator's seed")
    parser.add_argument("--postgres-dsn", default=DEFAULT_PG_DSN)
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args()
    if (
        min(args.rows, args.residents, args.requests, args.export_runs, args.survey_responses) < 1
        or args.warmups < 0
    ):
        parser.error(
            "--rows, --residents, --survey-responses, --requests and --export-runs must be "
            "at least 1"
        )
    sys.path.insert(0, str(ROOT))
    raise SystemExit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
