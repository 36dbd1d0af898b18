"""API keys: only their SHA-256 is stored. Keys come from AUTOML_API_KEYS, the CLI, or open mode."""

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ApiKey, User
from app.errors import BadRequest, Unauthorized


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name)
        session.add(user)
        session.flush()
    return user


def register_key(session: Session, key: str, user_name: str) -> User:
    """Attach `key` to the user `user_name` (created if new). Idempotent."""
    if not key or not user_name:
        raise BadRequest("an API key and a user name are both required")
    user = _user(session, user_name)
    digest = hash_key(key)
    existing = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if existing is None:
        session.add(ApiKey(key_hash=digest, user_id=user.id))
    elif existing.user_id != user.id:
        raise BadRequest(f"that key already belongs to another user than '{user_name}'")
    return user


def register_keys_from_spec(session: Session, spec: str) -> None:
    """Parse "key1:alice,key2:bob" and register each pair."""
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, name = item.rpartition(":")
        if not sep or not key or not name:
            raise ValueError(f"AUTOML_API_KEYS entry {item!r} is not of the form key:user")
        register_key(session, key, name)


def create_key(session: Session, user_name: str) -> str:
    key = "aml_" + secrets.token_urlsafe(32)
    register_key(session, key, user_name)
    return key


def find_user(session: Session, key: object, *, open_access: bool) -> User | None:
    """The key's user; None for an unknown key in open mode (register it with `register_open_key`).
    A missing key, or an unknown one outside open mode, is refused."""
    if not isinstance(key, str) or not key.strip():
        raise Unauthorized("user_api_key is required: send your API key in the JSON body")
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if api_key is not None:
        return session.get(User, api_key.user_id)
    if open_access:
        return None
    raise Unauthorized("Invalid API key")


def register_open_key(session: Session, key: str) -> User:
    """Open mode: an unknown key becomes a tenant of its own."""
    return register_key(session, key, f"key-{hash_key(key)[:16]}")
