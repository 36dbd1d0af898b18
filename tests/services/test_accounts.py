"""API keys are stored as their SHA-256 only."""

import hashlib

from sqlalchemy import select

from app.db.migrate import upgrade
from app.db.models import ApiKey
from app.db.session import Database
from app.services.accounts import create_key, find_user


def test_only_the_hash_of_a_key_is_stored(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'k.db'}")
    upgrade(db)
    with db.session() as session:
        key = create_key(session, "carol")
    with db.session() as session:
        (stored,) = session.scalars(select(ApiKey)).all()
        assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert find_user(session, key, open_access=False).name == "carol"
    raw = (tmp_path / "k.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("k.db-*"))
    assert key.encode() not in raw
    db.dispose()
