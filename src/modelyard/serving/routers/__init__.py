"""One router per resource: health (probes and metrics), models (listing), predictions."""
