"""Preprocessing fitted on training rows only: numeric, categorical, boolean, datetime and text.

``Preprocessor`` composes one encoder per schema column and saves its state as JSON plus ``.npz``.
"""

from modelyard.features.preprocessor import Preprocessor
from modelyard.features.state import rows_digest

__all__ = ["Preprocessor", "rows_digest"]
