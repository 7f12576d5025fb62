"""Orchestration: fitting, final evaluation and (later) schedules and triggers."""
