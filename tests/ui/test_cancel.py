"""A running training job is cancelled from its page. On a server of its own, so that a
training being stopped never delays the other tests' jobs."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.client.support import LiveServer
from tests.ui.support import fill_training, seed, sign_in, submit, write_csv


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    running = LiveServer(tmp_path_factory.mktemp("ui-cancel-server"))
    yield running
    running.stop()


def test_a_running_training_is_cancelled_from_its_page(page, ui_server, tmp_path, shot):
    key = f"key-{secrets.token_hex(8)}"
    # high_accuracy with a 600 s budget searches for minutes: still running when cancelled
    seeded = seed(ui_server.base, key, write_csv(tmp_path / "big.csv", n=3000), project="slow")
    sign_in(page, key)
    page.goto(seeded.dataset_url)
    form = fill_training(page, "slow", budget="600")
    form.locator("select[name=training_mode]").select_option("high_accuracy")
    submit(form)
    expect(page).to_have_url(re.compile(r"/ui/jobs/[^/]+$"))
    expect(page.locator("#job-status")).to_have_text(re.compile(r"pending|in_progress"))
    shot(page, "running")
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page.locator("form#cancel-job"))
    expect(page.locator("#job-status")).to_have_text(re.compile(r"^\s*failed\s*$"))
    expect(page.locator(".error").first).to_contain_text(re.compile("cancel", re.I))
    expect(page.locator("form#cancel-job")).to_have_count(0)
    expect(page.locator("a#job-result")).to_have_count(0)
    shot(page, "cancelled")
    page.goto(seeded.dataset_url)
    expect(page.locator('table#models a[data-model="slow"]')).to_have_count(0)
