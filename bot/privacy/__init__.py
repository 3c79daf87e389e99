"""Residents' rights over their data (UK GDPR): a copy of everything held, and erasure.

It spans the features that hold a resident's data (residents, feedback, events), so it
sits above them all and asks each for its part.
"""
