"""The made-up association behind ``doorstep demo``'s history (``bot.demo_history``): its
residents, what they and staff say, and the year's timetable of complaints, events and
announcements. Data only, kept apart so that the seeding code stays readable; every name
is fictional."""

from __future__ import annotations

# Residents by neighbourhood (fictional; * speaks Welsh), in the order their ids are given.
NAMES = {
    "riverside": "Amira Hassan, Tom Whitaker, Grace Okafor, Dylan Price*, Hannah Kowalski, "
    "Mohammed Rahman, Sian Evans*, Leon Carter, Beatrice Lane, Oliver Grant",
    "oakfield": "Fatima Noor, Jack Brennan, Chloe Adeyemi, Rhys Morgan*, Ewa Nowak, "
    "Daniel Osei, Megan Hughes, Sunil Mehta, Ruth Abbott",
    "castle-view": "Kayla Brooks, Gareth Jones*, Yusuf Ali, Imogen Reid, Patrick Doyle, "
    "Zainab Bello, Harriet Shaw, Callum Fraser",
    "millbrook": "Lowri Davies*, Marcus Bennett, Nadia Haddad, George Ellison, Ana Silva, "
    "Victor Mensah, Elsie Turner, Kwame Asante, Joanna Pike",
}
# (name, neighbourhood code, Welsh speaker)
RESIDENTS = [
    (name.strip(" *"), area, name.endswith("*"))
    for area, names in NAMES.items()
    for name in names.split(", ")
]
# Residents who joined lately (index: days before now); the rest joined about a year ago.
LATE_JOINERS = {8: 200, 17: 120, 26: 60, 35: 25}

# What residents and staff say, a few sentences per kind ("|" between them).
SAYINGS = {
    "repairs": "The kitchen tap drips all night.|Our front door does not lock properly any "
    "more.|The bathroom extractor fan has stopped working.|Two radiators upstairs stay cold "
    "with the heating on full.|The light on the second-floor landing has been out for a week.",
    "estate": "The bins behind block C have not been emptied for two weeks.|Someone has "
    "dumped a mattress by the garages.|The path to the play area is cracked and my neighbour "
    "tripped on it.|The gate to the communal garden has come off its hinge.",
    "antisocial": "Loud music from the flat above after midnight most weekends.|A car has "
    "been parked across the disabled bay for days.",
    "suggestion": "Could we have a bench by the bus stop?|A bike shelter near block A would "
    "stop bikes being chained to the railings.",
    "compliment": "Thank you to the repairs team who fixed our boiler the same day.|The "
    "caretaker has kept the stairwells spotless this month. Thank you!",
    "other": "How do I get a parking permit for a visitor?|Is there help with heating costs?",
    "complaint": "I reported a leak three times and nobody came. I want to complain.|Repairs "
    "booked an appointment and did not turn up, twice, with no call.|The lift has been broken "
    "for three weeks and I use a wheelchair.|I was charged for a repair that was your "
    "responsibility.|The contractor left a mess in my kitchen and damaged the worktop.",
    "damp_mould": "Black mould is spreading on the bedroom wall behind the wardrobe.|There is "
    "damp and mould round the bathroom window; my son has asthma.|Condensation runs down the "
    "walls every morning and the carpet is mouldy.|A damp patch on the living-room ceiling "
    "is growing and smells musty.",
    "emergency": "Water is pouring through the ceiling light in the hallway.|Sparks came from "
    "the socket in the kitchen and the power has tripped.|The front door was forced and will "
    "not close or lock.|Sewage is coming up through the bath drain.",
    "reply": "Thank you for letting us know. A repairs operative will visit this week.|We "
    "have booked a contractor for Thursday morning between 8am and 12pm.|We have passed "
    "this to the estate services team.|The work is done; please tell us if anything is "
    "still wrong.|We have spoken to the household concerned and will keep an eye on it.",
    "answer": "Thank you, Thursday morning is fine.|It is still happening, could someone "
    "come back?|All sorted now, thank you.",
    "note": "Called the resident to arrange access.|Contractor confirmed the part is on "
    "order.|Third report this year for this block.|The caretaker will check the area daily.",
}
WORDS = {kind: text.split("|") for kind, text in SAYINGS.items()}

# (title, place, neighbourhood code or None, days before now, capacity, attendance marked by
# staff (True) or told by residents (False))
PAST_EVENTS: list[tuple[str, str, str | None, int, int | None, bool]] = [
    ("Coffee morning", "Riverside community hall", "riverside", 330, 12, True),
    ("Residents' meeting", "Castle View library", None, 290, 40, True),
    ("Gardening workshop", "Riverside community garden", "riverside", 250, 8, False),
    ("Summer fun day", "Riverside community hall and green", None, 150, None, True),
    ("Digital skills drop-in", "Millbrook library", "millbrook", 120, 10, True),
    ("Halloween trail", "Oakfield Gardens play area", "oakfield", 35, 30, False),
    ("Residents' meeting", "Castle View library", None, 60, 40, True),
    ("Winter warmth advice session", "Castle View library", None, 12, 15, False),
]
ANNOUNCEMENTS: list[tuple[int, str, str | None]] = [
    (340, "Welcome to Doorstep: report repairs and book events right here.", None),
    (290, "Water will be off in blocks A-C on Tuesday from 9am to 1pm.", "riverside"),
    (230, "The estate clean-up is this Saturday at 10am: gloves and bags provided.", None),
    (160, "Bin collection moves to Wednesdays from next week.", "oakfield"),
    (100, "The lift in Castle View tower is repaired and working again.", "castle-view"),
    (45, "Winter heating help: ask us about the warm homes grant.", None),
    (9, "The residents' meeting will hear about the repairs programme.", None),
]

# (days before now received, acknowledged late, stage-1 answer: "in_time", "late",
# "extended", or None (still open); stage 2: None, "in_time", "late", "open")
# Both stages answered in time five times and late five times, so that CH02's shares are
# real figures (fewer than 5 of anything would be suppressed).
COMPLAINTS: list[tuple[int, bool, str | None, str | None]] = [
    (340, False, "in_time", "in_time"),
    (315, False, "late", "late"),
    (290, True, "late", "in_time"),
    (265, False, "extended", "late"),
    (240, False, "in_time", "in_time"),
    (215, False, "late", "late"),
    (190, False, "extended", "in_time"),
    (170, False, "in_time", None),
    (150, False, "late", "late"),
    (125, False, "in_time", "late"),
    (100, False, "in_time", "in_time"),
    (75, False, "late", None),
    (58, False, "in_time", "open"),
    (30, True, None, None),  # acknowledged late, now past its answer date: overdue
    (13, False, "in_time", None),  # answered lately: may still go to stage 2
    (6, False, None, None),  # in progress at stage 1: escalation can be tried on it
]
