"""Evaluation: metrics, baselines, KPIs, decision thresholds and report rendering."""
