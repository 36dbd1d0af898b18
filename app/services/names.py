"""Name rules. VecML documents only the model rule (at most 128 characters, no special
characters); projects and collections follow the same rule, also allowing spaces."""

import re

from app.errors import BadRequest

_MODEL = re.compile(r"^[A-Za-z0-9_\-.]{1,128}$")
_CONTAINER = re.compile(r"^[A-Za-z0-9_\-.][A-Za-z0-9_\-. ]{0,127}$")


def check_name(kind: str, value: str) -> str:
    pattern = _MODEL if kind == "model_name" else _CONTAINER
    if not pattern.match(value):
        raise BadRequest(
            f"{kind} {value!r} is not valid: use at most 128 letters, digits, '_', '-', '.'"
            + ("" if kind == "model_name" else " or spaces")
        )
    return value
