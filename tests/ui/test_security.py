"""The session: an HttpOnly cookie; the key never shows in a URL or a page; a POST without
the page's form token is refused and changes nothing."""

import re
import secrets

from playwright.sync_api import expect

from tests.ui.support import create_project, sign_in, sign_out


def test_a_post_without_the_form_token_is_refused_and_changes_nothing(page, context):
    sign_in(page, f"key-{secrets.token_hex(8)}")
    create_project(page, "kept")
    create_url = page.locator("form#create-project").evaluate("form => form.action")
    page.goto("/ui/projects/kept")
    delete_form = page.locator("form#delete-project")
    delete_url = delete_form.evaluate("form => form.action")
    token = delete_form.locator("input[name=csrf_token]")
    expect(token).to_have_attribute("type", "hidden")
    assert len(token.get_attribute("value") or "") >= 16

    without = context.request.post(create_url, form={"project_name": "forged"},
                                   max_redirects=0)
    assert without.status == 403, without.status
    wrong = context.request.post(create_url, max_redirects=0,
                                 form={"project_name": "forged", "csrf_token": "x" * 43})
    assert wrong.status == 403, wrong.status
    deleted = context.request.post(delete_url, form={}, max_redirects=0)
    assert deleted.status == 403, deleted.status

    page.goto("/ui/projects")
    expect(page.locator('table#projects a[data-project="kept"]')).to_be_visible()
    expect(page.locator('table#projects a[data-project="forged"]')).to_have_count(0)


def test_a_sign_in_posted_from_elsewhere_is_refused(context, ui_server):
    """Without the sign-in form's own token (a page of another site posting a key of its
    choosing) no session is started."""
    answer = context.request.post(f"{ui_server.base}/ui/login", max_redirects=0,
                                  form={"api_key": f"key-{secrets.token_hex(8)}"})
    assert answer.status == 403, answer.status
    assert not [c for c in context.cookies() if c["name"] == "automl_session"]


def test_every_post_form_carries_a_form_token(page, trained):
    sign_in(page, trained.key)
    for url in ("/ui/projects", trained.project_url, trained.dataset_url, trained.model_url):
        page.goto(url)
        forms = page.locator("form[method=post], form[method=POST]")
        assert forms.count() > 0, url
        for form in forms.all():
            expect(form.locator("input[type=hidden][name=csrf_token]")).to_have_count(1)


def test_the_session_cookie_is_httponly_and_the_key_shows_nowhere(page, context, trained):
    key = trained.key
    visited, requested = [], []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, key)

    cookie = next(c for c in context.cookies() if c["name"] == "automl_session")
    assert cookie["httpOnly"], cookie
    assert cookie["sameSite"] in ("Lax", "Strict"), cookie
    assert key not in cookie["value"]
    assert "automl_session" not in page.evaluate("document.cookie")

    for url in ("/ui/projects", trained.project_url, trained.dataset_url, trained.model_url,
                trained.compare_url, "/ui/jobs", f"/ui/jobs/{trained.train_job}"):
        page.goto(url)
        assert key not in page.content(), url
    sign_out(page)
    assert key not in page.content()
    assert requested and visited
    for url in visited + requested:
        assert key not in url, url
    assert not any(re.search(r"api_key=", url) for url in visited + requested)
