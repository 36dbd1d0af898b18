"""/docs and /redoc render without a network: every script, style sheet and image they
reference is served by the server itself."""

import re

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings

ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']"""
                   r"""|(?:url|spec-url)\s*:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_reference_only_the_servers_own_files(tmp_path, page):
    with TestClient(create_app(make_settings(tmp_path / "data"))) as http:
        html = http.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        assets = [a or b for a, b in ASSET.findall(html.text)]
        assert any(a.endswith(".js") for a in assets), assets
        for asset in assets:
            assert not re.match(r"^(https?:)?//", asset), f"{page} loads {asset} from the network"
            assert http.get(asset).status_code == 200, asset
        assert http.get("/openapi.json").json()["openapi"].startswith("3.")
