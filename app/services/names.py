"""Name rules. VecML documents only the model rule (at most 128 characters, no special
characters); projects and collections follow the same rule, also allowing spaces."""

import re

from app.errors import BadRequest

_MODEL = re.compile(r"[A-Za-z0-9_\-.]{1,128}")
_CONTAINER = re.compile(r"[A-Za-z0-9_\-.]([A-Za-z0-9_\-. ]{0,126}[A-Za-z0-9_\-.])?")


def check_name(kind: str, value: str) -> str:
    """The whole value must match (fullmatch: `$` would let a trailing newline through)."""
    pattern = _MODEL if kind == "model_name" else _CONTAINER
    if not pattern.fullmatch(value):
        raise BadRequest(
            f"{kind} {value!r} is not valid: use at most 128 letters, digits, '_', '-', '.'"
            + ("" if kind == "model_name" else " or inner spaces")
        )
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ATTRIBUTE_NAME_MAX = 200


def check_attribute_name(kind: str, value: str) -> str:
    """An attribute (label, categorical feature) is named by any text that is not blank, has
    no control characters and fits the model's label column."""
    if not value.strip() or _CONTROL.search(value) or len(value) > ATTRIBUTE_NAME_MAX:
        raise BadRequest(
            f"{kind} {value!r} is not valid: name an attribute with 1 to {ATTRIBUTE_NAME_MAX} "
            "characters, not blank and without control characters")
    return value
