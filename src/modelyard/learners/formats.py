"""Importing this module registers every built-in model format with the registry's format table:
``modelyard.bundle`` (one learner with its preprocessing) and ``modelyard.ensemble`` (a weighted
ensemble of bundles). Front ends that load registered models import it once.

``MODEL_TYPES`` are the loaded forms; they share one interface (``schema``, ``task``,
``classes``, ``threshold``, ``transform``, ``learner``, ``predict_codes``, ``predict``,
``predict_proba``, ``predict_frame``, ``decode``, ``save``/``load``).
"""

from modelyard.learners.bundle import ModelBundle
from modelyard.learners.ensemble import EnsembleBundle

MODEL_TYPES = (ModelBundle, EnsembleBundle)
