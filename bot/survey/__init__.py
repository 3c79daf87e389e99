"""The TSM perception survey: the regulator's twelve questions, the sample and the figures."""
