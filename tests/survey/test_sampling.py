"""Sample sizes, margins of error, allocation between neighbourhoods and the draw.

The expected sample sizes are DERIVED in docs/regulation-tsm.md §5 from the formula that
reproduces published landlord minimums; they are not the regulator's Annex C, which was not
found. TODO(verify): compare with Annex C and the accuracy table (Tenant Satisfaction
Measures: Tenant survey requirements, Section 2) once read.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from bot.survey.sampling import (
    BAND_NOTE,
    SMALL_PROVIDER_NOTE,
    allocate,
    draw,
    margin_of_error,
    required_margin,
    required_sample,
)


@pytest.mark.parametrize(("homes", "n"), [(800, 260), (5_000, 537), (30_000, 2_224)])
def test_required_sample_matches_the_notes_derived_values_not_annex_c(homes: int, n: int) -> None:
    """The issue's check values, derived from the formula in docs/regulation-tsm.md §5
    (not "the regulator's table": Annex C is NOT FOUND). TODO(verify) against Annex C."""
    assert required_sample(homes).n == n


@pytest.mark.parametrize(
    ("homes", "margin", "n"),
    [
        (1, 0.05, 1),
        (10, 0.05, 10),
        (1_000, 0.05, 278),
        (1_200, 0.05, 292),
        (2_499, 0.05, 334),
        (2_500, 0.04, 485),
        (9_999, 0.04, 567),
        (10_000, 0.03, 965),
        (24_999, 0.03, 1_024),
        (25_000, 0.02, 2_191),
        (100_000, 0.02, 2_345),
    ],
)
def test_band_edges_per_the_notes_table(homes: int, margin: float, n: int) -> None:
    """docs/regulation-tsm.md §5, band table and "Required responses at the band edges"
    (reconstructed bands, DERIVED sizes; TODO(verify) the edges)."""
    found = required_sample(homes)
    assert (found.homes, found.margin, found.z, found.n) == (homes, margin, 1.96, n)
    assert float(required_margin(homes)) == margin


def test_n0_per_band() -> None:
    assert required_sample(1_200).n0 == pytest.approx(384.16)
    assert required_sample(5_000).n0 == pytest.approx(600.25)
    assert required_sample(10_000).n0 == pytest.approx(1_067.111, abs=1e-3)
    assert required_sample(30_000).n0 == pytest.approx(2_401)


def test_the_worked_example_is_explained() -> None:
    """docs/regulation-tsm.md §9, worked example: 1,200 homes."""
    found = required_sample(1_200)
    assert found.explanation == (
        "N = 1,200, e = ±5%, z = 1.96, p = 0.5",
        "n0 = 1.96² × 0.5 × 0.5 / 0.05² = 384.16",
        "n = ⌈1,200 × 384.16 / (1,199 + 384.16)⌉ = ⌈291.18⌉ = 292",
    )
    assert found.notes == (BAND_NOTE,)
    assert not found.assumed


def test_a_small_provider_target_is_marked_assumed() -> None:
    small = required_sample(999)
    assert small.assumed
    assert small.notes == (BAND_NOTE, SMALL_PROVIDER_NOTE)
    assert not required_sample(1_000).assumed
    assert required_sample(30_000).explanation[0] == "N = 30,000, e = ±2%, z = 1.96, p = 0.5"


def test_no_population_no_sample() -> None:
    with pytest.raises(ValueError):
        required_sample(0)


@pytest.mark.parametrize(
    "homes", [1, 2, 50, 999, 1_200, 2_499, 2_500, 7_271, 8_797, 24_999, 60_000]
)
def test_the_required_sample_is_the_least_that_meets_the_margin(homes: int) -> None:
    """The formula agrees with the margin it is meant to reach, at p = 0.5."""
    found = required_sample(homes)
    assert found.n <= homes
    assert margin_of_error(0.5, found.n, homes) <= found.margin
    if found.n > 1:
        assert margin_of_error(0.5, found.n - 1, homes) > found.margin


def test_landlords_published_minimums_are_reproduced() -> None:
    """docs/regulation-tsm.md §5: Livin 2025-26 (8,797 homes, ±4%) published 562."""
    assert required_sample(8_797).n == 562


def test_margin_without_the_population() -> None:
    # By hand: 1.96 × √(0.5 × 0.5 / 400) = 1.96 × 0.025 = 0.049.
    assert margin_of_error(0.5, 400, None) == pytest.approx(0.049)
    # 1.96 × √(0.2 × 0.8 / 100) = 1.96 × 0.04 = 0.0784.
    assert margin_of_error(0.2, 100, None) == pytest.approx(0.0784)
    assert margin_of_error(1.0, 50, None) == 0


def test_margin_with_the_finite_population_correction() -> None:
    """docs/regulation-tsm.md §9, worked example: 292 of 1,200 gives ±4.99%, 291 ±5.002%."""
    # By hand: 1.96 × √(0.25/292 × 908/1,199) = 1.96 × √(0.000856164 × 0.757298) = 0.049908.
    assert margin_of_error(0.5, 292, 1_200) == pytest.approx(0.049908, abs=1e-6)
    assert margin_of_error(0.5, 291, 1_200) == pytest.approx(0.050021, abs=1e-6)
    # The observed share, and the TP09 example: ±4.57% and ±15.2%.
    assert margin_of_error(0.702, 292, 1_200) == pytest.approx(0.0457, abs=1e-4)
    assert margin_of_error(0.5, 40, 1_200) == pytest.approx(0.152, abs=1e-3)
    # 100 of 901: 1.96 × √(0.25/100 × 801/900) = 1.96 × 0.05 × √0.89 = 0.092453.
    assert margin_of_error(0.5, 100, 901) == pytest.approx(0.098 * math.sqrt(0.89))
    assert margin_of_error(0.5, 100, 901) < margin_of_error(0.5, 100, None)


def test_a_census_of_everyone_has_no_margin() -> None:
    assert margin_of_error(0.5, 120, 120) == 0
    assert margin_of_error(0.5, 1, 1) == 0


@pytest.mark.parametrize(
    ("share", "n", "population"), [(-0.1, 10, None), (1.1, 10, None), (0.5, 0, None), (0.5, 11, 10)]
)
def test_margin_refuses_impossible_input(share: float, n: int, population: int | None) -> None:
    with pytest.raises(ValueError):
        margin_of_error(share, n, population)


def test_allocate_the_worked_example() -> None:
    """600, 400 and 200 homes, 292 responses: 146, 97⅓ and 48⅔, so the unit left goes to
    the last (docs/regulation-tsm.md §9 worked example, by largest remainder)."""
    assert allocate({1: 600, 2: 400, 3: 200}, 292) == {1: 146, 2: 97, 3: 49}


def test_allocate_uneven_strata() -> None:
    # Quotas 0.01, 0.02 and 9.97: the one unit left goes to the largest fraction.
    assert allocate({1: 1, 2: 2, 3: 997}, 10) == {1: 0, 2: 0, 3: 10}
    # Quotas 3.2, 1.6, 0.2 and 5.0: 3, 1, 0 and 5, and the one left to the .6.
    assert allocate({7: 16, 8: 8, 9: 1, 10: 25}, 10) == {7: 3, 8: 2, 9: 0, 10: 5}
    # Quotas 3.52, 1.76, 0.22 and 5.5: two left, for the .76 and then the .52 (not the .5).
    assert allocate({7: 16, 8: 8, 9: 1, 10: 25}, 11) == {7: 4, 8: 2, 9: 0, 10: 5}
    # Equal fractions: the larger stratum, then the lower id.
    assert allocate({5: 5, 4: 5, 3: 5}, 10) == {5: 3, 4: 3, 3: 4}
    assert allocate({1: 3, 2: 6}, 4) == {1: 1, 2: 3}


def test_allocate_never_gives_more_than_a_stratum_holds() -> None:
    assert allocate({1: 3, 2: 2}, 10) == {1: 3, 2: 2}
    assert allocate({1: 0, 2: 4}, 3) == {1: 0, 2: 3}
    assert allocate({1: 5}, 0) == {1: 0}
    assert allocate({}, 10) == {}
    with pytest.raises(ValueError):
        allocate({1: -1}, 3)
    with pytest.raises(ValueError):
        allocate({1: 1}, -3)


@pytest.mark.parametrize("seed", range(5))
def test_allocate_sums_to_the_total_and_stays_proportional(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        strata = {i: rng.choice([0, 1, 2, rng.randint(3, 5_000)]) for i in range(rng.randint(1, 9))}
        total = rng.randint(0, sum(strata.values()) + 20)
        shares = allocate(strata, total)
        population = sum(strata.values())
        assert sum(shares.values()) == min(total, population)
        for stratum, size in strata.items():
            assert 0 <= shares[stratum] <= size
            quota = min(total, population) * size / population if population else 0
            assert math.floor(quota) <= shares[stratum] <= math.ceil(quota)


IDS = {1: list(range(100, 160)), 2: list(range(200, 210)), 3: [300, 301]}


def test_draw_is_reproducible_for_a_seed() -> None:
    allocation = {1: 12, 2: 4, 3: 1}
    first = draw(IDS, allocation, seed=42)
    assert draw(IDS, allocation, seed=42) == first
    shuffled = {s: list(reversed(ids)) for s, ids in reversed(IDS.items())}
    assert draw(shuffled, allocation, seed=42) == first
    assert draw(IDS, allocation, seed=43) != first


def test_draw_respects_the_allocation_without_duplicates() -> None:
    drawn = draw(IDS, {1: 12, 2: 4, 3: 1}, seed=7)
    assert len(drawn) == len(set(drawn)) == 17
    per_stratum = Counter(next(s for s, ids in IDS.items() if one in ids) for one in drawn)
    assert per_stratum == {1: 12, 2: 4, 3: 1}
    assert drawn == sorted(drawn)  # strata in order, then ids


def test_draw_takes_all_of_a_short_stratum_and_none_unallocated() -> None:
    drawn = draw(IDS, {1: 0, 3: 5}, seed=1)
    assert drawn == [300, 301]
    assert draw(IDS, {}, seed=1) == []
    assert draw({1: [5, 5, 5]}, {1: 2}, seed=1) == [5]


def test_a_stratums_draw_does_not_depend_on_the_others() -> None:
    alone = draw({1: IDS[1]}, {1: 12}, seed=9)
    together = draw(IDS, {1: 12, 2: 10}, seed=9)
    assert together[:12] == alone


def test_a_top_up_wave_leaves_out_those_already_invited() -> None:
    first = draw(IDS, {1: 30}, seed=1)
    second = draw(IDS, {1: 30}, seed=2, already=first)
    assert not set(first) & set(second)
    assert sorted(first + second) == IDS[1]


def test_draw_refuses_an_id_in_two_strata_and_a_negative_allocation() -> None:
    with pytest.raises(ValueError, match="id 5"):
        draw({1: [5, 6], 2: [5]}, {1: 1, 2: 1}, seed=1)
    with pytest.raises(ValueError):
        draw(IDS, {1: -1}, seed=1)
