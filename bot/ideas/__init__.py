"""Residents' ideas for their neighbourhood: proposed in Telegram, checked by staff before
they are shown, backed by neighbours, and answered by staff."""
