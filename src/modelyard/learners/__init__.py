"""Learner families; importing this package registers every built-in learner."""
