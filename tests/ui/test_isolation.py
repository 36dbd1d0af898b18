"""A second person (another key, another browser) sees none of the first one's work: not in
the lists, and a 404 page (not the data) at the first one's addresses."""

import re
import secrets

from playwright.sync_api import expect

from tests.ui.support import sign_in, submit


def owner_urls(trained) -> list[str]:
    return [trained.project_url, trained.dataset_url, trained.model_url, trained.compare_url,
            f"/ui/jobs/{trained.upload_job}", f"/ui/jobs/{trained.train_job}",
            f"/ui/jobs/{trained.upload_job}/status", f"/ui/jobs/{trained.train_job}/status"]


def test_the_owner_sees_the_pages_the_second_user_gets_404(new_context, trained, shot):
    owner = new_context().new_page()
    sign_in(owner, trained.key)
    expect(owner.locator(f'table#projects a[data-project="{trained.project}"]')).to_be_visible()
    for url in owner_urls(trained):
        assert owner.goto(url).status == 200, url
    owner.goto(trained.dataset_url)
    expect(owner.locator("table#attributes")).to_contain_text("shade")

    other = new_context().new_page()
    sign_in(other, f"key-{secrets.token_hex(8)}")
    expect(other.locator("table#projects a[data-project]")).to_have_count(0)
    other.goto("/ui/jobs")
    expect(other.locator("table#jobs tr[data-job]")).to_have_count(0)
    for url in owner_urls(trained):
        response = other.goto(url)
        assert response.status == 404, (url, response.status)
        html = other.content()
        for secret in ("feat_a", "feat_b", "shade"):
            assert secret not in html, (url, secret)
        expect(other.locator("table#sample, table#attributes, svg, table#leaderboard")
               ).to_have_count(0)
    other.goto(trained.model_url)
    shot(other, "someone-elses-model")

    # The second user's forms act on their own (empty) namespace: the owner's project stays.
    other.goto("/ui/projects")
    other.locator("form#create-project input[name=project_name]").fill(trained.project)
    submit(other.locator("form#create-project"))
    other.goto(f"/ui/projects/{trained.project}")
    other.on("dialog", lambda dialog: dialog.accept())
    submit(other.locator("form#delete-project"))
    expect(other).not_to_have_url(re.compile(rf"/ui/projects/{trained.project}$"))
    owner.goto(trained.model_url)
    expect(owner.locator("svg#importance-chart rect").first).to_be_attached()
