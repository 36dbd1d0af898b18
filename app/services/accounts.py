"""API keys: stored as HMAC-SHA256 with the server secret (app/services/key_secret.py), so a
leaked database does not reveal short human-chosen keys. Rows stored before as plain SHA-256
still work and are rewritten as HMAC on their key's first use. Keys come from AUTOML_API_KEYS,
the CLI (`automl-server keys create`), or open mode. A revoked key is refused at once: every
request looks its key up in the database."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ApiKey, User, utcnow
from app.errors import BadRequest, NotFound, Unauthorized

LAST_USED_RESOLUTION = timedelta(minutes=1)
"""last_used_at is written at most this often per key, not on every request."""
GENERATED_PREFIX = "aml_"


def hash_key(key: str, secret: bytes) -> str:
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def legacy_hash(key: str) -> str:
    """How keys were stored before revision 0006."""
    return hashlib.sha256(key.encode()).hexdigest()


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name)
        session.add(user)
        session.flush()
    return user


def _stored(session: Session, key: str, secret: bytes) -> ApiKey | None:
    """The key's row; a legacy SHA-256 row found is upgraded to HMAC in place."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key, secret),
                                              ApiKey.hash_scheme == "hmac"))
    if row is not None:
        return row
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == legacy_hash(key),
                                              ApiKey.hash_scheme == "sha256"))
    if row is not None:
        row.key_hash, row.hash_scheme = hash_key(key, secret), "hmac"
        session.flush()
    return row


def register_key(session: Session, key: str, user_name: str, secret: bytes,
                 prefix: str | None = None) -> User:
    """Attach `key` to the user `user_name` (created if new). Idempotent; a revoked key stays
    revoked."""
    if not key or not user_name:
        raise BadRequest("an API key and a user name are both required")
    user = _user(session, user_name)
    existing = _stored(session, key, secret)
    if existing is None:
        session.add(ApiKey(key_hash=hash_key(key, secret), hash_scheme="hmac", user_id=user.id,
                           key_prefix=prefix))
    elif existing.user_id != user.id:
        raise BadRequest(f"that key already belongs to another user than '{user_name}'")
    return user


def register_keys_from_spec(session: Session, spec: str, secret: bytes) -> None:
    """Parse "key1:alice,key2:bob" and register each pair."""
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, name = item.rpartition(":")
        if not sep or not key or not name:
            raise ValueError(f"AUTOML_API_KEYS entry {item!r} is not of the form key:user")
        register_key(session, key, name, secret)


def create_key(session: Session, user_name: str, secret: bytes) -> str:
    key = GENERATED_PREFIX + secrets.token_urlsafe(32)
    register_key(session, key, user_name, secret, prefix=key[:len(GENERATED_PREFIX) + 6])
    return key


def _touch(row: ApiKey) -> None:
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now


def find_user(session: Session, key: object, *, open_access: bool, secret: bytes) -> User | None:
    """The key's user; None for an unknown key in open mode (register it with `register_open_key`).
    A missing key, a revoked one, or an unknown one outside open mode, is refused."""
    if not isinstance(key, str) or not key.strip():
        raise Unauthorized("user_api_key is required: send your API key in the JSON body")
    api_key = _stored(session, key, secret)
    if api_key is not None:
        if api_key.revoked_at is not None:
            raise Unauthorized("This API key has been revoked")
        _touch(api_key)
        return session.get(User, api_key.user_id)
    if open_access:
        return None
    raise Unauthorized("Invalid API key")


def register_open_key(session: Session, key: str, secret: bytes) -> User:
    """Open mode: an unknown key becomes a tenant of its own."""
    return register_key(session, key, f"key-{hash_key(key, secret)[:16]}", secret)


@dataclass(frozen=True)
class KeyInfo:
    id: int
    user: str
    prefix: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_keys(session: Session, user_name: str | None = None) -> list[KeyInfo]:
    """Every key (of one user), oldest first: never the key, which is not stored."""
    query = select(ApiKey, User.name).join(User, User.id == ApiKey.user_id).order_by(ApiKey.id)
    if user_name is not None:
        query = query.where(User.name == user_name)
    return [KeyInfo(row.id, name, row.key_prefix, row.created_at, row.last_used_at,
                    row.revoked_at) for row, name in session.execute(query)]


def revoke_key(session: Session, key_id: int | None = None, key: str | None = None, *,
               secret: bytes) -> KeyInfo:
    """Revoke by id (as `keys list` shows) or by the key itself."""
    row = session.get(ApiKey, key_id) if key_id is not None else _stored(session, key or "",
                                                                          secret)
    if row is None:
        raise NotFound("no such API key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    user = session.get(User, row.user_id)
    return KeyInfo(row.id, user.name, row.key_prefix, row.created_at, row.last_used_at,
                   row.revoked_at)
