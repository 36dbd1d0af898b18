"""Inserting a row whose name must be unique."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict


def insert_unique(session: Session, row, message: str):
    """Add `row`; a clash with a unique constraint (the name is taken, perhaps by a concurrent
    request) is a 409 with `message`."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as err:
        raise Conflict(message) from err
    return row
