"""The dashboard's browser tests: one live server for the package (`automl-server serve` in
open access, tests/client/support.py's LiveServer), Debian's Chromium driven by Playwright (the
pip wheel's driver; no browser is downloaded), a fresh browser context per test at 1280x800,
and full-page screenshots under test-artifacts/ui-screenshots/.

Without /usr/bin/chromium (or Playwright) the tests are skipped, unless CI is set: then they
fail."""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = ROOT / "client"
if str(CLIENT_DIR) not in sys.path:  # tests.client.support imports automl_client
    sys.path.insert(0, str(CLIENT_DIR))

from tests.client.support import LiveServer  # noqa: E402
from tests.ui.support import DESKTOP, seed, write_csv  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "ui-screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        running = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield running
        running.close()


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory):
    running = LiveServer(tmp_path_factory.mktemp("ui-server"))
    yield running
    running.stop()


@pytest.fixture(scope="package")
def screenshot_dir():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture
def new_context(browser, ui_server):
    """Opens browser contexts on the server (each its own cookie jar: one person); all are
    closed after the test."""
    opened = []

    def open_context(**options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=ui_server.base, accept_downloads=True,
                                      **options)
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context, request, screenshot_dir):
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        page.screenshot(path=str(screenshot_dir / f"{_slug(request.node.name)}--FAILED.png"),
                        full_page=True)


@pytest.fixture
def shot(request, screenshot_dir):
    """shot(page, "name"): a full-page PNG named after the test and the page."""

    def take(page, name: str) -> Path:
        path = screenshot_dir / f"{_slug(request.node.name)}--{_slug(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


@pytest.fixture(scope="package")
def csv_file(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("ui-data") / "train.csv")


@pytest.fixture(scope="package")
def trained(ui_server, csv_file):
    """A classification model made through the API, for the tests that only read it (each
    such test signs in with its key)."""
    return seed(ui_server.base, "key-ui-reader-0f3c9a", csv_file, project="shared",
                dataset="train", model="m1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
