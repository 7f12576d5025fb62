"""The one rule for the names users give things: models, API keys and aliases.

A name goes into URLs (``/v1/models/churn@production/predict``), file listings and command lines,
so it is 1 to :data:`NAME_LENGTH` characters that every one of them carries unescaped: letters,
digits, '-', '_' and '.', starting with a letter or a digit. That refuses '.' and '..' (which a URL
path resolves away), a name starting with '-' (which a command line reads as a flag), and the
separators of a reference (':' before a version, '@' before an alias). The registry, the spec,
the CLI and the server all check names here, so a name one of them takes, all of them take.
"""

from __future__ import annotations

import re

from modelyard.errors import RegistryError

NAME_LENGTH = 255  # the metadata store's name columns hold this many characters
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
NAME_RULE = (f"1 to {NAME_LENGTH} letters, digits, '-', '_' or '.', starting with a letter or "
             "a digit")
EXAMPLES = {
    "model": "'churn-classifier' or 'sales_forecast.v2'",
    "API key": "'checkout-service' or 'ci'",
    "alias": "'production', 'staging' or 'challenger'",
}


def is_name(name: object) -> bool:
    """Whether ``name`` follows the rule."""
    return isinstance(name, str) and len(name) <= NAME_LENGTH and NAME.fullmatch(name) is not None


def check_name(name: object, what: str) -> str:
    """``name`` when it follows the rule, else a RegistryError saying the rule for ``what``
    ('model', 'API key' or 'alias')."""
    if not is_name(name):
        shown = repr(name) if not isinstance(name, str) or len(name) <= 80 else \
            repr(name[:80]) + f"... ({len(name)} characters)"
        raise RegistryError(f"invalid {what} name {shown}: expected {NAME_RULE}",
                            hint=f"e.g. {EXAMPLES.get(what, EXAMPLES['model'])}")
    return name
