"""What a string id may be, wherever it comes from (request bodies, id columns of files)."""

from __future__ import annotations

import re

MAX_ID_LENGTH = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def id_problem(value: str) -> str | None:
    """Why the string ``value`` cannot be an id (a phrase to follow "the id ..."), or None."""
    if not value.strip():
        return "is empty" if not value else "is only whitespace"
    if len(value) > MAX_ID_LENGTH:
        return f"has {len(value)} characters; ids may have at most {MAX_ID_LENGTH}"
    bad = _CONTROL.search(value)
    if bad:
        return (
            f"contains the control character {bad.group()!r} at position {bad.start()}; ids may "
            "not contain control characters (newlines, tabs, ...)"
        )
    return None
