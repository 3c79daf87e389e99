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
# What staff write once in the history (an extension's reason, hazard summaries, an event's
# closing notes, a scheduled announcement).
SAID = {
    "extension": "We are waiting for the contractor's report on the cause.",
    "made_safe": "We made the home safe and found the cause; the repair is booked.",
    "damp_found": "Our surveyor found condensation damp; we will treat the mould and fit a fan.",
    "classified": "The resident's photos show black mould across the bathroom ceiling.",
    "closing": "Good turnout; tea ran out early.",
    "reminder": "Reminder: the residents' meeting is next week. Come and have your say.",
}

# (title, place, neighbourhood code or None, days before now, capacity, attendance marked by
# staff (True) or told by residents (False))
PAST_EVENTS: list[tuple[str, str, str | None, int, int | None, bool]] = [
    ("Coffee morning", "Riverside community hall", "riverside", 330, 12, True),
    ("Residents' meeting", "Castle View library", None, 290, 40, True),
    ("Gardening workshop", "Riverside community garden", "riverside", 250, 16, False),
    ("Spring bulb planting", "Oakfield Gardens green", "oakfield", 225, 20, True),
    ("Repairs surgery", "Millbrook library", "millbrook", 195, 15, True),
    ("Lunch club", "Castle View community room", "castle-view", 170, 20, False),
    ("Summer fun day", "Riverside community hall and green", None, 150, None, True),
    ("Digital skills drop-in", "Millbrook library", "millbrook", 120, 10, True),
    ("Halloween trail", "Oakfield Gardens play area", "oakfield", 35, 30, False),
    ("Residents' meeting", "Castle View library", None, 75, 40, True),
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

# ----- the community features (``bot.demo_community``) ----------------------------------------

# Residents' ideas: (neighbourhood, days before now proposed, title, what and why, where it
# got to, staff's reason, how many neighbours back it). Where it got to: "pending" (waiting
# for a check), "declined", "approved" (shown, not yet answered) or staff's answer.
IDEAS: list[tuple[str, int, str, str, str, str, int]] = [
    (
        "riverside",
        300,
        "Planters along the block A walkway",
        "Window boxes along the "
        "walkway would brighten it up, and neighbours on each floor could look after them.",
        "going_ahead",
        "The estate budget covers twenty planters; the caretaker fits them in "
        "March and residents choose the plants.",
        6,
    ),
    (
        "oakfield",
        250,
        "A little free library by the bus stop",
        "A weatherproof book box "
        "where neighbours swap books. The children waiting for the school bus would use it.",
        "going_ahead",
        "A resident has offered to look after it and the council agrees to the "
        "spot. It goes up next month.",
        5,
    ),
    (
        "castle-view",
        205,
        "Benches along the river path",
        "There is nowhere to sit between "
        "the tower and the shops, and older residents struggle with the walk.",
        "considering",
        "The path belongs to the council: we have asked whether benches can go "
        "there and will tell you their answer.",
        5,
    ),
    (
        "millbrook",
        160,
        "Covered bike storage",
        "Bikes are chained to the railings and get "
        "stolen. A lockable shelter by block D would keep them safe and dry.",
        "not_this_time",
        "A shelter costs about £6,000 and this year's estate budget is spent. "
        "We will look at it again when next year's budget is set in April.",
        7,
    ),
    (
        "riverside",
        120,
        "A monthly repair café",
        "Volunteers mending kettles, bikes and "
        "clothes once a month in the community hall, so less goes to the tip.",
        "considering",
        "The hall is free on the first Saturday of the month; we are finding "
        "out about insurance for the volunteers.",
        4,
    ),
    (
        "oakfield",
        75,
        "A wildflower strip on the green",
        "Leave a strip of the green unmown for wildflowers and bees, with a path mown through it.",
        "approved",
        "",
        3,
    ),
    (
        "millbrook",
        45,
        "A noticeboard by the lifts",
        "A locked noticeboard by the ground-floor lifts for events, lost cats and the bin days.",
        "approved",
        "",
        2,
    ),
    (
        "castle-view",
        60,
        "Fix the tower lift properly",
        "The lift keeps breaking down. "
        "Please get it fixed properly this time, not patched up again.",
        "declined",
        "This is a repair rather than an idea for the neighbourhood, so we have passed it to "
        "the repairs team, who will contact you about the lift.",
        0,
    ),
    (
        "riverside",
        3,
        "Christmas lights on the green",
        "Lights on the big tree on the green for December, switched on at a carol evening.",
        "pending",
        "",
        0,
    ),
    (
        "millbrook",
        1,
        "A toddler group in the library",
        "A weekly stay-and-play morning for parents and toddlers in the library's side room.",
        "pending",
        "",
        0,
    ),
]

# The community chest (amounts in pence): the spring round for Riverside and Oakfield, the
# winter one for Castle View and Millbrook.
CHEST_AREAS = (("riverside", "oakfield"), ("castle-view", "millbrook"))
# The spring round, decided: (title, purpose, cost,
# shortlisted, staff's reason, how many voters approve it). Budget £2,000: the
# benches, the tools and the bird boxes are funded; the bouncy castle, third in the vote,
# does not fit what is left, nor do the tablets.
CHEST_BUDGET = 200_000
CHEST_PROJECTS: list[tuple[str, str, int, bool, str, int]] = [
    (
        "Picnic benches by the play area",
        "Two picnic benches by the play area, so parents "
        "and grandparents can sit while the children play.",
        90_000,
        True,
        "On our land, in budget, and the play inspector is happy with the spot.",
        15,
    ),
    (
        "Tools for the community garden",
        "A shed of shared tools for the garden: spades, "
        "forks, a wheelbarrow and gloves for the volunteers.",
        45_000,
        True,
        "In budget; the garden group will look after the shed.",
        12,
    ),
    (
        "A bouncy castle for the fun day",
        "Hire a bouncy castle and a face painter for the summer fun day.",
        80_000,
        True,
        "In budget and for everyone.",
        10,
    ),
    (
        "Bird and bat boxes",
        "Ten bird and bat boxes for the trees along the river path, put "
        "up with the children from the primary school.",
        25_000,
        True,
        "In budget; the council's tree officer has agreed.",
        7,
    ),
    (
        "Tablets for the digital drop-in",
        "Four tablets so residents without a computer can "
        "learn to shop, bank and see the doctor online.",
        150_000,
        True,
        "In budget, though it would use most of it.",
        5,
    ),
    (
        "Paint for my front door",
        "Paint for my own front door, which is peeling.",
        6_000,
        False,
        "The chest pays for things the neighbourhood shares. A peeling front door is "
        "ours to repair: please report it and we will book it in.",
        0,
    ),
]
# The round taking proposals now: (title, purpose, cost).
CHEST_NEW_PROJECTS: list[tuple[str, str, int]] = [
    (
        "Raised beds for the lunch club",
        "Three raised beds by the community room so the "
        "lunch club can grow its own salad and herbs.",
        60_000,
    ),
    (
        "Defibrillator by the shops",
        "A public defibrillator on the wall by the shops, with training for anyone who wants it.",
        140_000,
    ),
    (
        "Christmas party for the children",
        "A party with a visit from Father Christmas and a "
        "small present for every child on the estates.",
        75_000,
    ),
]

# Volunteering: (event title, [(role, places)]).
VOLUNTEER_ROLES: list[tuple[str, list[tuple[str, int]]]] = [
    ("Summer fun day", [("Setting up", 4), ("Running a stall", 6), ("Clearing up", 4)]),
    ("Halloween trail", [("Trail marshal", 4), ("Face painting", 2)]),
    ("Estate clean-up", [("Team leader", 2), ("Litter picker", 10)]),
]
VOLUNTEER_HOURS = [1.5, 2, 2.5, 3, 4, 2, 3.5]

# Polls: (question, answers, several allowed, neighbourhoods asked, days before now sent,
# days it runs, voters).
POLLS: list[tuple[str, list[str], bool, tuple[str, ...], int, int, int]] = [
    (
        "What should the summer fun day include?",
        ["A bouncy castle", "A barbecue", "Live music", "A dog show"],
        True,
        ("riverside", "oakfield"),
        185,
        14,
        14,
    ),
    (
        "Which evening suits you best for the Castle View and Millbrook residents' forum?",
        ["Tuesday", "Wednesday", "Thursday"],
        False,
        ("castle-view", "millbrook"),
        4,
        14,
        9,
    ),
]

# Case satisfaction: the answers residents give, in turn (escalated complaints: unhappy),
# and what a few of them add.
SATISFACTION_ANSWERS = [
    "very_satisfied",
    "fairly_satisfied",
    "very_satisfied",
    "neither",
    "fairly_satisfied",
    "fairly_dissatisfied",
    "very_satisfied",
    "fairly_satisfied",
]
SATISFACTION_COMMENTS = [
    "Quick and polite, thank you.",
    "Fixed in the end, but I had to chase it twice.",
    "The operative explained everything and cleaned up after.",
]
