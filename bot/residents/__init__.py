"""Residents: consent and set-up, settings, help, the neighbourhoods and topics they choose
from, and the dashboard's residents list."""
