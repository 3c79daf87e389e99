"""Announcements staff send to residents, their audiences and their schedules."""
