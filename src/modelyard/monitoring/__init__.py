"""Monitoring a deployed model: its reference profile, drift of its inputs and predictions,
ground truth fed back and its live performance. Layer 6: it reads the registry, the prediction
log and the model, and never imports training or search."""
