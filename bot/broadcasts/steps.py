from enum import StrEnum

ANNOUNCE_FLOW = "announce"


class AnnounceStep(StrEnum):
    PREPARED = "an_prepared"
