"""The method that chooses the winners, case by case, written out.

Greedy by approvals within the budget: most approvals first; a tie goes to the lower cost,
then to the earlier proposal; each project that still fits in what is left is funded, one
that does not is skipped and the smaller ones after it are still considered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.chest.winners import Candidate, choose_winners, ranked

T0 = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)


def project(project_id: int, approvals: int, pounds: int, minutes: int = 0) -> Candidate:
    return Candidate(project_id, approvals, pounds * 100, T0 + timedelta(minutes=minutes))


def test_a_tie_goes_to_the_cheaper_then_the_earlier_project() -> None:
    # Budget £1,000. Three projects have 10 approvals each:
    #   A £600 (proposed first), B £400 (proposed third), C £400 (proposed second).
    # The tie is broken by cost: B and C (£400) before A (£600); B and C tie on cost too,
    # so the earlier, C, comes first. Ranked: C, B, A.
    # C: £400 fits in £1,000 -> funded, £600 left.
    # B: £400 fits in £600 -> funded, £200 left.
    # A: £600 does not fit in £200 -> skipped.
    a = project(1, 10, 600, minutes=0)
    b = project(2, 10, 400, minutes=20)
    c = project(3, 10, 400, minutes=10)
    choice = choose_winners([a, b, c], 100_000)
    assert [x.project_id for x in choice.ranked] == [3, 2, 1]
    assert choice.funded == [3, 2]
    assert choice.spent_pence == 80_000 and choice.left_pence == 20_000


def test_same_cost_same_moment_goes_to_the_lower_number() -> None:
    assert [c.project_id for c in ranked([project(9, 3, 100), project(4, 3, 100)])] == [4, 9]


def test_exact_fit_and_skipping_a_project_that_does_not_fit() -> None:
    # Budget £1,000.
    #   P1 50 approvals £700, P2 40 approvals £500, P3 30 approvals £300, P4 20 £100.
    # P1: £700 fits in £1,000 -> funded, £300 left.
    # P2: £500 does not fit in £300 -> skipped, though it has more approvals than P3.
    # P3: £300 is exactly the £300 left -> funded, £0 left.
    # P4: £100 does not fit in £0 -> skipped.
    choice = choose_winners(
        [project(1, 50, 700), project(2, 40, 500), project(3, 30, 300), project(4, 20, 100)],
        100_000,
    )
    assert choice.funded == [1, 3]
    assert choice.spent_pence == 100_000 and choice.left_pence == 0


def test_a_smaller_project_further_down_is_funded_after_a_skip() -> None:
    # Budget £500: P1 9 approvals £450 -> funded, £50 left; P2 8 approvals £100 -> skipped;
    # P3 2 approvals £50.00 -> exactly fits the £50 left -> funded.
    choice = choose_winners([project(1, 9, 450), project(2, 8, 100), project(3, 2, 50)], 50_000)
    assert choice.funded == [1, 3] and choice.left_pence == 0


def test_a_project_nobody_approved_is_not_funded_and_pence_are_exact() -> None:
    # Budget £100.01: P1 1 approval £100.00 -> funded, 1p left; P2 0 approvals 1p -> not
    # funded (nobody approved it), though it fits.
    p1 = Candidate(1, 1, 10_000, T0)
    p2 = Candidate(2, 0, 1, T0)
    choice = choose_winners([p2, p1], 10_001)
    assert choice.funded == [1] and choice.left_pence == 1


def test_nothing_to_choose_from() -> None:
    choice = choose_winners([], 10_000)
    assert choice.funded == [] and choice.spent_pence == 0 and choice.left_pence == 10_000
