"""The community chest: participatory budgeting (issue 15, part 3)."""
