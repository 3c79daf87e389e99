"""Neighbourhood polls: staff ask residents a question with a few answers; residents vote."""
