"""The server secret that keys are hashed with (HMAC-SHA256): `AUTOML_KEY_SECRET`.

Embedded mode without it: one is generated on first start and kept in `<data_dir>/key-secret`
(mode 0600), so a leaked database alone does not reveal keys. Production mode without it
refuses to start: every API process (on any machine) must hash with the same secret, and one
kept in the database would leak with it."""

import os
import secrets
from pathlib import Path

from app.config import Settings

SECRET_FILE = "key-secret"


class KeySecretMissing(RuntimeError):
    pass


def key_secret(settings: Settings) -> bytes:
    if settings.key_secret:
        return settings.key_secret.encode()
    if settings.broker_url:
        raise KeySecretMissing(
            "AUTOML_KEY_SECRET is not set: production mode hashes API keys with a server secret "
            "that every API process shares. Set it to a long random value (e.g. `python -c "
            "'import secrets; print(secrets.token_urlsafe(32))'`) on every API process, and "
            "keep it: changing it invalidates every stored key.")
    return _file_secret(Path(settings.data_dir) / SECRET_FILE)


def _file_secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if value:
            return value.encode()
        raise KeySecretMissing(f"{path} is empty; delete it or set AUTOML_KEY_SECRET") from None
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value.encode()
