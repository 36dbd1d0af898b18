"""One settings object, documented: README's configuration table lists every setting."""

import re
from pathlib import Path

from app.config import FILE_BYTES_PER_BODY_BYTE, Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_lists_every_setting():
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(AUTOML_[A-Z_]+)`", table))
    settings = {f"AUTOML_{name.upper()}" for name in Settings.model_fields}
    assert settings <= documented, settings - documented


def test_derived_defaults_follow_their_base(tmp_path):
    settings = Settings(data_dir=tmp_path, max_body_bytes=1000)
    assert settings.max_file_bytes == FILE_BYTES_PER_BODY_BYTE * 1000
    assert settings.train_memory_limit > 0
    assert Settings(data_dir=tmp_path, max_file_bytes=5).max_file_bytes == 5
