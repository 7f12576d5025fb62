"""``POST /v1/models/{name}/feedback``: ground-truth labels for logged predictions.

The body is a non-empty JSON array of records, each with a ``label`` and an address, all of one
form:

* ``{"request_id": "5f1c...", "row": 0, "label": "Yes"}``: the request id a prediction answer
  carried, and the record's position in that request's body (``row`` may be left out for a
  request of one record);
* ``{"customerID": "7590-VHVEG", "label": "Yes"}``: one other field, naming an input column the
  model logs; the label applies to every prediction logged with that value.

The labels go through ``monitoring.feedback.add_feedback``, the code ``modelyard monitor
feedback`` runs: unknown addresses and labels that are not the model's classes are counted and
skipped, a later label replaces an earlier one, and the answer is the summary. Feedback changes
the store, so the route needs a valid API key (``require_write_key``) even where keys are
optional; a key limited to other models gets 403.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from modelyard.serving.auth import require_write_key
from modelyard.serving.errors import BadRequest, InvalidInput
from modelyard.serving.pool import model_name
from modelyard.serving.routers.predictions import read_body
from modelyard.serving.state import ServerState, get_state

router = APIRouter(tags=["feedback"])
ADDRESS_HINT = ('send a JSON array of records such as [{"request_id": "...", "row": 0, '
                '"label": "Yes"}] or [{"customerID": "...", "label": "Yes"}]')
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "What was stored and what was skipped",
          "content": {"application/json": {"example": {
              "model": "churn", "received": 3, "stored": 2, "predictions": 2, "replaced": 0,
              "unknown": 1, "ambiguous": 0, "wrong_type": 0,
              "examples": {"unknown": ["5f1c0d3e9a8b4c7d"]}}}}},
    400: {"description": "the body is not JSON"},
    401: {"description": "no API key (this route always needs one), or a wrong or revoked one"},
    403: {"description": "the API key may not use this model"},
    404: {"description": "no such model"},
    413: {"description": "the body is larger than the server accepts"},
    422: {"description": "not an array of records of one form with a label each, or no label "
          "is usable (all unknown or of the wrong type)"},
}  # fmt: skip


def parse_feedback(body: bytes) -> tuple[pd.DataFrame, str | None]:
    """The records as a frame, and the key column (None: addressed by request id)."""
    try:
        records = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"the body is not JSON: {err}", hint=ADDRESS_HINT) from None
    if not isinstance(records, list) or not records or \
            not all(isinstance(r, dict) for r in records):  # fmt: skip
        raise InvalidInput("the body must be a non-empty JSON array of objects",
                           hint=ADDRESS_HINT)  # fmt: skip
    forms = set()
    for index, record in enumerate(records):
        others = sorted(set(record) - {"label", "request_id", "row"})
        if "label" not in record:
            raise _bad(index, "has no 'label'")
        if "request_id" in record and not others:
            forms.add(None)
        elif "request_id" not in record and "row" not in record and len(others) == 1:
            forms.add(others[0])
        else:
            raise _bad(index, "must hold 'label' and either 'request_id' (and 'row') or one key "
                       f"field; it holds {sorted(record)}")
        if "row" in record and (isinstance(record["row"], bool)
                                or not isinstance(record["row"], int)):  # fmt: skip
            raise _bad(index, f"has 'row' {record['row']!r}: expected a whole number from 0")
    if len(forms) > 1:
        raise InvalidInput(
            "the records mix addressing forms: " + ", ".join(sorted(f or "request_id"
                                                                    for f in forms)),
            hint="send one form per request: all by request_id, or all by the same key field",
        )  # fmt: skip
    key = forms.pop()
    frame = pd.DataFrame.from_records(records)
    if key is None and "row" not in frame.columns:
        frame["row"] = None
    return frame, key


def _bad(index: int, what: str) -> InvalidInput:
    return InvalidInput(f"record {index} {what}", hint=ADDRESS_HINT,
                        details=[{"field": f"[{index}]", "message": what}])  # fmt: skip


@router.post(
    "/models/{ref}/feedback",
    name="feedback",
    summary="Ground-truth labels for logged predictions of model 'name'",
    responses=RESPONSES,
    dependencies=[Depends(require_write_key)],
)
async def feedback(ref: str, request: Request, state: ServerState = Depends(get_state)) -> Any:
    from modelyard.monitoring.feedback import add_feedback

    body = await read_body(request, state.config.max_body_bytes)
    frame, key = parse_feedback(body)
    registry = state.registry
    if registry is None:
        state.live_pool  # noqa: B018 - raises the 503 of a server that is not running yet
    summary = await run_in_threadpool(add_feedback, state.settings.home, registry,
                                      model_name(ref), frame, key_column=key)  # fmt: skip
    answer = summary.to_dict()
    answer.pop("file")  # a path on the server
    return answer
