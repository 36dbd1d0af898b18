"""Name rules. VecML documents only the model rule (at most 128 characters, no special
characters); projects and collections follow the same rule, also allowing spaces."""

import re

from app.errors import BadRequest

MODEL_NAME = re.compile(r"[A-Za-z0-9_\-.]{1,128}")
CONTAINER_NAME = re.compile(r"[A-Za-z0-9_\-.]([A-Za-z0-9_\-. ]{0,126}[A-Za-z0-9_\-.])?")


def check_name(kind: str, value: str) -> str:
    """The whole value must match (fullmatch: `$` would let a trailing newline through)."""
    pattern = MODEL_NAME if kind == "model_name" else CONTAINER_NAME
    if not pattern.fullmatch(value):
        raise BadRequest(
            f"{kind} {value!r} is not valid: use at most 128 letters, digits, '_', '-', '.'"
            + ("" if kind == "model_name" else " or inner spaces")
        )
    return value


CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
ATTRIBUTE_NAME_MAX = 200
"""The longest attribute name: a model's label is stored in a column of this width."""


def check_attribute_name(kind: str, value: object) -> str:
    """An attribute (label, categorical feature) is named by any text that is not blank, has
    no control characters and fits the model's label column."""
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f'{kind} must name an attribute, like "label"; got {shown}')
    if len(value) > ATTRIBUTE_NAME_MAX:
        raise BadRequest(f"{kind} has {len(value)} characters; at most {ATTRIBUTE_NAME_MAX} "
                         "are allowed")
    if _CONTROL.search(value):
        raise BadRequest(f"{kind} {shown} contains control characters (newlines, tabs, ...); "
                         "use a plain name")
    return value
