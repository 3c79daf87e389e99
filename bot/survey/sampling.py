"""How many responses the survey needs, how to share them between neighbourhoods, and who
is invited.

The regulator's accuracy table and its Annex C "illustrative sample sizes" were not found
(docs/regulation-tsm.md §5). The bands below are reconstructed from published landlord
figures, and the formula is the one that reproduces every landlord minimum found:
simple random sampling, worst case p = 0.5, z = 1.96, finite population correction,
rounded up (docs/regulation-tsm.md §5 "The formula", DERIVED; §9 item 11).

Band edges (TODO(verify) against *Tenant Satisfaction Measures: Tenant survey requirements*,
Section 2, or Part B of the TSM Direction): whether each edge is "fewer than" or "up to",
whether "units" means homes owned or occupied, and how Annex A treats providers with fewer
than 1,000 homes are all NOT FOUND. Following the note's table, the bands here are: fewer
than 2,500 homes ±5%; 2,500 to 9,999 ±4%; 10,000 to 24,999 ±3%; 25,000 or more ±2% (this
last band has no landlord evidence at all). Below 1,000 homes the ±5% target is an
assumption (``RequiredSample.assumed``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from bot.i18n import N_

Z = Fraction("1.96")  # 95% confidence
WORST_CASE = Fraction(1, 2)  # p = 0.5: the largest sample for a given margin
SMALL_PROVIDER = 1_000  # "fewer than 1,000 dwelling units" (survey requirements paragraph 5)

# (fewest homes in the band, required margin): docs/regulation-tsm.md §5, reconstructed.
BANDS: tuple[tuple[int, Fraction], ...] = (
    (25_000, Fraction(2, 100)),
    (10_000, Fraction(3, 100)),
    (2_500, Fraction(4, 100)),
    (1, Fraction(5, 100)),
)

BAND_NOTE = N_(
    "Required margins by number of homes are reconstructed from published landlord "
    "figures; the regulator's table has not been checked yet."
)
SMALL_PROVIDER_NOTE = N_(
    "Fewer than 1,000 homes: the ±5% target is assumed; the regulator's rules for small "
    "providers have not been checked yet."
)


@dataclass(frozen=True)
class RequiredSample:
    """The responses needed for one tenure's population, and how the number was found.

    ``explanation`` holds the computation as formulas (numbers and symbols only, so they need
    no translation), e.g. ``N = 1,200, e = ±5%``. ``notes`` are msgids to show under it.
    """

    homes: int
    margin: float
    z: float
    n0: float
    n: int
    assumed: bool  # a small provider: the ±5% target is an assumption (Annex A NOT FOUND)
    explanation: tuple[str, ...]
    notes: tuple[str, ...]


def required_margin(homes: int) -> Fraction:
    """The margin of error required for a population of ``homes`` (docs/regulation-tsm.md §5
    band table, reconstructed; TODO(verify) the edges)."""
    if homes < 1:
        raise ValueError("the population needs at least one home")
    return next(margin for fewest, margin in BANDS if homes >= fewest)


def required_sample(homes: int) -> RequiredSample:
    """The achieved responses a tenure with ``homes`` homes needs:
    n0 = z²·p(1−p)/e², n = ⌈N·n0 / (N − 1 + n0)⌉ (docs/regulation-tsm.md §5, DERIVED), with
    exact fractions so the rounding up is never thrown by a floating-point error."""
    margin = required_margin(homes)
    n0 = Z**2 * WORST_CASE * (1 - WORST_CASE) / margin**2
    exact = homes * n0 / (homes - 1 + n0)
    n = math.ceil(exact)
    percent = _number(margin * 100, 0)
    explanation = (
        f"N = {homes:,}, e = ±{percent}%, z = {_number(Z, 2)}, p = 0.5",
        f"n0 = {_number(Z, 2)}² × 0.5 × 0.5 / {_number(margin, 2)}² = {_number(n0, 2)}",
        f"n = ⌈{homes:,} × {_number(n0, 2)} / ({homes - 1:,} + {_number(n0, 2)})⌉"
        f" = ⌈{_number(exact, 2)}⌉ = {n:,}",
    )
    assumed = homes < SMALL_PROVIDER
    return RequiredSample(
        homes=homes,
        margin=float(margin),
        z=float(Z),
        n0=float(n0),
        n=n,
        assumed=assumed,
        explanation=explanation,
        notes=(BAND_NOTE, SMALL_PROVIDER_NOTE) if assumed else (BAND_NOTE,),
    )


def _number(value: Fraction, places: int) -> str:
    """A number with thousands separators and at most ``places`` decimals (no trailing 0s)."""
    text = f"{float(value):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def margin_of_error(share: float, n: int, population: int | None) -> float:
    """The 95% margin of error of a share from ``n`` answers:
    1.96 · √(p(1−p)/n), times √((N−n)/(N−1)) when the population N is given
    (docs/regulation-tsm.md §5 "achieved margin" and §9 item 14)."""
    if not 0 <= share <= 1:
        raise ValueError("a share is between 0 and 1")
    if n < 1:
        raise ValueError("a margin needs at least one answer")
    variance = share * (1 - share) / n
    if population is not None:
        if population < n:
            raise ValueError("more answers than the population")
        variance *= 0 if population == 1 else (population - n) / (population - 1)
    return float(Z) * math.sqrt(variance)


def allocate(strata: Mapping[int, int], total: int) -> dict[int, int]:
    """Share ``total`` between strata (neighbourhood id → homes) in proportion to their
    size, by largest remainder: each gets the whole part of its share, and the units left
    go to the largest fractions (ties: the larger stratum, then the lower id). The result
    sums to ``total``, or to everything the strata hold when that is less, and never gives a
    stratum more than it holds.

    docs/regulation-tsm.md §9 item 13 suggests ⌈n·N_h/N⌉ per stratum, which can overshoot
    the total by up to one per stratum; largest remainder hits it exactly."""
    if total < 0 or any(size < 0 for size in strata.values()):
        raise ValueError("sizes and the total cannot be negative")
    population = sum(strata.values())
    total = min(total, population)
    if total == 0:
        return dict.fromkeys(strata, 0)
    quotas = {stratum: Fraction(total * size, population) for stratum, size in strata.items()}
    shares = {stratum: math.floor(quota) for stratum, quota in quotas.items()}
    left = total - sum(shares.values())
    # The fractions left sum to `left`, each under 1, so at least `left` strata have one:
    # only those get a unit, and their share stays within what they hold.
    order = sorted(strata, key=lambda s: (-(quotas[s] - shares[s]), -strata[s], s))
    for stratum in order[:left]:
        shares[stratum] += 1
    return shares


def draw(
    ids_by_stratum: Mapping[int, Sequence[int]],
    allocation: Mapping[int, int],
    seed: int,
    *,
    already: Collection[int] = (),
) -> list[int]:
    """A simple random sample without replacement within each stratum, of the size
    ``allocation`` gives it (all of it when the stratum holds fewer). The same ids, allocation
    and seed always give the same sample, whatever order the ids come in, and each stratum's
    draw depends only on its own ids, so it can be audited on its own. ``already`` (e.g.
    those invited in an earlier wave) are left out before drawing; draw a top-up wave with a
    new seed. The result is sorted by stratum, then id. ValueError when an id is in two
    strata or an allocation is negative."""
    if any(count < 0 for count in allocation.values()):
        raise ValueError("an allocation cannot be negative")
    owner: dict[int, int] = {}
    for stratum, ids in ids_by_stratum.items():
        for one in ids:
            if owner.setdefault(one, stratum) != stratum:
                raise ValueError(f"id {one} is in strata {owner[one]} and {stratum}")
    leave_out = set(already)
    sample: list[int] = []
    for stratum in sorted(ids_by_stratum):
        pool = sorted(set(ids_by_stratum[stratum]) - leave_out)
        count = min(allocation.get(stratum, 0), len(pool))
        # A simulation's generator is right here: the draw must be repeatable from its seed.
        rng = random.Random(f"doorstep-survey:{seed}:{stratum}")  # noqa: S311
        sample.extend(sorted(rng.sample(pool, count)))
    return sample
