"""API keys are stored as HMAC-SHA256 with the server secret: neither the key nor its plain
SHA-256 is in the database. Rows stored before (SHA-256) still work, upgraded on first use."""

import hashlib
import hmac
import os
import stat

import pytest
from sqlalchemy import select

from app.config import Settings
from app.db.migrate import upgrade
from app.db.models import ApiKey
from app.db.session import Database
from app.errors import Unauthorized
from app.services.accounts import create_key, find_user, legacy_hash, revoke_key
from app.services.key_secret import KeySecretMissing, key_secret

SECRET = b"server-secret"


@pytest.fixture
def db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'k.db'}")
    upgrade(db)
    yield db
    db.dispose()


def test_only_the_hmac_of_a_key_is_stored(db, tmp_path):
    with db.session() as session:
        key = create_key(session, "carol", SECRET)
    with db.session() as session:
        (stored,) = session.scalars(select(ApiKey)).all()
        assert stored.key_hash == hmac.new(SECRET, key.encode(), hashlib.sha256).hexdigest()
        assert stored.hash_scheme == "hmac" and stored.key_prefix == key[:10]
        assert find_user(session, key, open_access=False, secret=SECRET).name == "carol"
        with pytest.raises(Unauthorized):  # another secret: another hash, the key is unknown
            find_user(session, key, open_access=False, secret=b"other")
    raw = (tmp_path / "k.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("k.db-*"))
    assert key.encode() not in raw
    assert hashlib.sha256(key.encode()).hexdigest().encode() not in raw


def test_a_legacy_sha256_row_works_and_is_upgraded_on_first_use(db):
    with db.session() as session:
        create_key(session, "dave", SECRET)  # gives the user a row
        user_id = session.scalars(select(ApiKey)).one().user_id
        session.add(ApiKey(key_hash=legacy_hash("short"), hash_scheme="sha256", user_id=user_id))
    with db.session() as session:
        assert find_user(session, "short", open_access=False, secret=SECRET).name == "dave"
    with db.session() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.key_prefix.is_(None)))
        assert row.hash_scheme == "hmac"
        assert row.key_hash == hmac.new(SECRET, b"short", hashlib.sha256).hexdigest()
        assert find_user(session, "short", open_access=False, secret=SECRET).name == "dave"


def test_rows_from_before_0006_default_to_sha256(tmp_path):
    """The migration marks existing rows as SHA-256 (its server default)."""
    from alembic import command
    from sqlalchemy import text

    from app.db.migrate import alembic_config, migration_connection

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with migration_connection(db.engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (name) VALUES ('erin')"))
        connection.execute(text("INSERT INTO api_keys (key_hash, user_id) VALUES (:h, 1)"),
                           {"h": legacy_hash("erins-key")})
    upgrade(db)
    with db.session() as session:
        assert find_user(session, "erins-key", open_access=False, secret=SECRET).name == "erin"
    db.dispose()


def test_revoked_key_is_refused_even_in_open_access(db):
    with db.session() as session:
        key = create_key(session, "fay", SECRET)
    with db.session() as session:
        revoke_key(session, key=key, secret=SECRET)
    with db.session() as session:
        for open_access in (False, True):
            with pytest.raises(Unauthorized, match="revoked"):
                find_user(session, key, open_access=open_access, secret=SECRET)


def test_last_used_is_written_at_most_once_a_minute(db):
    with db.session() as session:
        key = create_key(session, "gil", SECRET)
    with db.session() as session:
        find_user(session, key, open_access=False, secret=SECRET)
    with db.session() as session:
        first = session.scalars(select(ApiKey)).one().last_used_at
        assert first is not None
        find_user(session, key, open_access=False, secret=SECRET)
        assert not session.dirty  # a second use within the minute writes nothing


def test_embedded_secret_is_generated_once_with_0600(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = key_secret(settings)
    assert key_secret(settings) == first and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "key-secret").st_mode) == 0o600
    assert key_secret(Settings(data_dir=tmp_path, key_secret="given")) == b"given"


def test_production_without_a_secret_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:1/0")
    with pytest.raises(KeySecretMissing, match="AUTOML_KEY_SECRET"):
        key_secret(settings)
    assert not (tmp_path / "key-secret").exists()
