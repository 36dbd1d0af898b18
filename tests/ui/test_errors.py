"""Every form reports a server error in words on the page (browser-side validation is turned
off first, so that the server is the one that answers)."""

import re
import secrets

import httpx
from playwright.sync_api import expect

from tests.ui.support import (
    expect_error_in_words,
    fill_training,
    seed,
    sign_in,
    submit,
)


def post_without_browser_checks(page, form_selector: str) -> int:
    """Submits the form as filled, without the browser's own checks (required, pattern...);
    returns the status of the answer to the POST."""
    form = page.locator(form_selector)
    form.evaluate("form => { form.noValidate = true; }")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit(form)
    return answer.value.status


def test_a_blank_key_is_refused_in_words(page, shot):
    page.goto("/ui/login")
    page.locator("form#login input[name=api_key]").fill("   ")
    status = post_without_browser_checks(page, "form#login")
    assert status == 401, status
    assert "/ui/login" in page.url
    expect_error_in_words(page)
    shot(page, "blank-key")


def test_invalid_project_names_are_refused_in_words(page, shot):
    sign_in(page, f"key-{secrets.token_hex(8)}")
    for bad in ("bad/name", "x" * 300, " "):
        page.goto("/ui/projects")
        page.locator("form#create-project input[name=project_name]").evaluate(
            "(input, value) => { input.removeAttribute('maxlength'); input.value = value; }",
            bad)
        status = post_without_browser_checks(page, "form#create-project")
        assert 400 <= status < 500, (bad, status)
        expect_error_in_words(page)
        expect(page.locator(".error").first).to_have_attribute("role", "alert")
    shot(page, "bad-project-name")
    page.goto("/ui/projects")
    expect(page.locator("table#projects a[data-project]")).to_have_count(0)


def test_a_file_that_is_not_csv_is_refused_in_words(page, tmp_path, shot):
    sign_in(page, f"key-{secrets.token_hex(8)}")
    page.goto("/ui/projects")
    page.locator("form#create-project input[name=project_name]").fill("p")
    submit(page.locator("form#create-project"))
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    page.goto("/ui/projects/p")
    form = page.locator("form#upload")
    form.locator("input[name=file]").set_input_files(str(picture))
    form.locator("input[name=dataset_name]").fill("pics")
    submit(form)
    # Refused at once (the upload page again) or by its job (the job page, failed): either
    # way the reason is on the page in words.
    expect(page.locator(".error").first).to_be_visible(timeout=60_000)
    expect_error_in_words(page)
    shot(page, "not-csv")


def test_training_on_a_missing_label_is_refused_in_words(page, ui_server, csv_file, shot):
    key = f"key-{secrets.token_hex(8)}"
    seeded = seed(ui_server.base, key, csv_file, project="labels")
    sign_in(page, key)
    page.goto(seeded.dataset_url)
    page.locator("form#train select[name=label_attribute]").evaluate(
        "select => select.add(new Option('no_such_column', 'no_such_column'))")
    fill_training(page, "m1", label="no_such_column")
    page.locator("form#train").evaluate("form => { form.noValidate = true; }")
    submit(page.locator("form#train"))
    expect(page.locator(".error").first).to_be_visible(timeout=60_000)
    assert "no_such_column" in expect_error_in_words(page)
    shot(page, "missing-label")


def test_predicting_a_file_without_the_features_is_refused_in_words(page, trained, tmp_path,
                                                                     shot):
    sign_in(page, trained.key)
    page.goto(trained.model_url)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("only_one\n1\n2\n")
    form = page.locator("form#predict")
    form.locator("input[name=file]").set_input_files(str(wrong))
    submit(form)
    expect_error_in_words(page)
    shot(page, "predict-wrong-columns")


def test_forms_of_a_page_whose_data_is_gone_say_so_in_words(new_context, ui_server, csv_file,
                                                            tmp_path, shot):
    """Pages left open while the data is deleted elsewhere (another tab, the API): their forms
    answer with the reason, not a blank page."""
    key = f"key-{secrets.token_hex(8)}"
    seeded = seed(ui_server.base, key, csv_file, project="vanished", model="m1")
    context = new_context()
    project, dataset, model = (context.new_page() for _ in range(3))
    sign_in(project, key)
    project.goto(seeded.project_url)
    dataset.goto(seeded.dataset_url)
    model.goto(seeded.model_url)
    httpx.post(f"{ui_server.base}/api/delete_project",
               json={"user_api_key": key, "project_name": "vanished"}).raise_for_status()

    project.locator("form#upload input[name=file]").set_input_files(str(csv_file))
    project.locator("form#upload input[name=dataset_name]").fill("again")
    submit(project.locator("form#upload"))
    fill_training(dataset, "m2")
    submit(dataset.locator("form#train"))
    model.locator("form#predict input[name=file]").set_input_files(str(csv_file))
    submit(model.locator("form#predict"))
    for page, name in ((project, "upload"), (dataset, "train"), (model, "predict")):
        expect_error_in_words(page)
        expect(page.locator(".error").first).to_contain_text(
            re.compile("not found|no longer|not exist", re.I))
        shot(page, f"gone-{name}")
