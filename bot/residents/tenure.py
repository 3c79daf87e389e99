"""The tenures' names, owned here because tenure is a resident's (and a neighbourhood's)
attribute (``service.TENURES``); the survey and the reports show the same words.

The stored codes never change. "lcra" and "lcho" are the regulator's two parts of the
Tenant Satisfaction Measures, surveyed and reported apart; "none" (leaseholders and the
like) is not surveyed (docs/regulation-tsm.md §4, §9 item 9). Marked here, translated
where shown.
"""

from __future__ import annotations

from bot.i18n import N_

# In the order offered (``service.TENURES``).
TENURE_WORDS = {
    "lcra": N_("Low-cost rental accommodation (LCRA)"),
    "lcho": N_("Low-cost home ownership (LCHO)"),
    "none": N_("Not in the survey (e.g. leaseholders)"),
}
# Where a column is narrow (the survey years' list).
TENURE_SHORT = {"lcra": N_("LCRA"), "lcho": N_("LCHO")}
