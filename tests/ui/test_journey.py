"""The whole journey in a real browser: sign in, create a project, upload a CSV, train
high_speed, watch the job finish, read the model's charts, predict a file and download the
result, compare, delete, sign out."""

import re
import secrets

import pandas as pd
from playwright.sync_api import expect

from tests.ui.support import (
    ROWS,
    SHADE_MISSING,
    create_project,
    frame,
    sign_in,
    sign_out,
    submit,
    train,
    upload,
    wait_for_job,
    write_csv,
)


def test_sign_in_upload_train_predict_delete_sign_out(page, context, csv_file, shot, tmp_path):
    page.goto("/ui")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    shot(page, "login")
    key = f"key-{secrets.token_hex(8)}"
    sign_in(page, key)
    expect(page.locator("nav a#nav-projects")).to_be_visible()
    expect(page.locator("nav a#nav-jobs")).to_be_visible()
    expect(page.locator("#whoami")).not_to_be_empty()
    page.goto("/ui")
    expect(page).to_have_url(re.compile(r"/ui/projects$"))

    create_project(page, "journey")
    shot(page, "projects")
    page.locator('a[data-project="journey"]').click()
    expect(page).to_have_url(re.compile(r"/ui/projects/journey$"))
    shot(page, "project-empty")

    upload(page, "journey", csv_file, "train")
    expect(page.locator("progress#job-progress")).to_be_attached()
    expect(page.locator("#job-step")).to_be_attached()
    expect(page.locator("#job-eta")).to_be_attached()
    expect(page.locator("form#cancel-job")).to_have_count(0)  # over: nothing to cancel
    shot(page, "upload-job")
    page.locator("a#job-result").click()
    expect(page).to_have_url(re.compile(r"/ui/projects/journey/datasets/train$"))
    expect(page.locator("#dataset-info")).to_contain_text(str(ROWS))
    expect(page.locator("table#sample tbody tr").first).to_be_visible()
    assert 0 < page.locator("table#sample tbody tr").count() <= ROWS
    attributes = page.locator("table#attributes")
    expect(attributes).to_contain_text("target")
    expect(attributes.locator("tr", has_text="shade")).to_contain_text(str(SHADE_MISSING))
    class_counts = page.locator("table#class-counts")
    expect(class_counts).to_contain_text("yes")
    expect(class_counts).to_contain_text("no")
    shot(page, "dataset")

    train(page, page.url, "m1")
    shot(page, "train-job")
    page.locator("a#job-result").click()
    expect(page).to_have_url(re.compile(r"/ui/projects/journey/datasets/train/models/m1$"))
    summary = page.locator("#model-summary")
    expect(summary).to_contain_text("high_speed")
    expect(summary).to_contain_text("classification")
    expect(summary).to_contain_text("target")
    expect(page.locator("table#metrics")).to_be_visible()
    leaderboard = page.locator("table#leaderboard")
    expect(leaderboard.locator("tbody tr").first).to_be_visible()
    expect(leaderboard.locator("thead")).to_contain_text(re.compile(r"fit", re.I))
    expect(leaderboard.locator("thead")).to_contain_text(re.compile(r"predict", re.I))
    expect(page.locator("table#confusion-matrix")).to_be_visible()
    expect(page.locator("svg#importance-chart rect").first).to_be_attached()
    assert page.locator("svg#importance-chart rect").count() > 0
    expect(page.locator("svg#importance-chart")).to_contain_text("feat_a")
    expect(page.locator("svg#roc-chart").locator("polyline, path").first).to_be_attached()
    shot(page, "model")

    to_predict = tmp_path / "to-predict.csv"
    frame(seed=1).drop(columns="target").to_csv(to_predict, index=False)
    with page.expect_download() as downloading:
        form = page.locator("form#predict")
        form.locator("input[name=file]").set_input_files(str(to_predict))
        submit(form)
    download = downloading.value
    assert download.suggested_filename == "m1-predictions.csv"
    predictions = pd.read_csv(download.path())
    assert len(predictions) == ROWS, predictions
    assert any(predictions[c].isin(["yes", "no"]).all() for c in predictions.columns), \
        predictions.head()

    page.locator("a#nav-jobs").click()
    expect(page).to_have_url(re.compile(r"/ui/jobs$"))
    expect(page.locator("table#jobs tr[data-job]").nth(1)).to_be_attached()  # upload, train
    expect(page.locator("table#jobs td.status").first).to_have_text(re.compile("finished"))
    shot(page, "jobs")

    page.goto("/ui/projects/journey/datasets/train")
    page.locator("a#compare-models").click()
    expect(page.locator("table#compare")).to_contain_text("m1")
    shot(page, "compare")

    page.goto("/ui/projects/journey/datasets/train/models/m1")
    page.once("dialog", lambda dialog: dialog.dismiss())
    submit(page.locator("form#delete-model"))
    page.goto("/ui/projects/journey/datasets/train")
    expect(page.locator('table#models a[data-model="m1"]')).to_have_count(1)  # dismissed
    page.goto("/ui/projects/journey/datasets/train/models/m1")
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page.locator("form#delete-model"))
    expect(page).not_to_have_url(re.compile(r"/models/m1$"))
    page.goto("/ui/projects/journey/datasets/train")
    expect(page.locator('table#models a[data-model="m1"]')).to_have_count(0)
    assert page.goto("/ui/projects/journey/datasets/train/models/m1").status == 404

    session = [c for c in context.cookies() if c["name"] == "automl_session"]
    assert session, context.cookies()
    page.goto("/ui/projects")
    sign_out(page)
    page.goto("/ui/projects")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    context.add_cookies(session)  # the old cookie no longer signs anyone in
    page.goto("/ui/projects")
    expect(page).to_have_url(re.compile(r"/ui/login$"))


def test_a_file_dropped_on_the_dropzone_is_uploaded(page, csv_file, shot):
    sign_in(page, f"key-{secrets.token_hex(8)}")
    create_project(page, "dropped")
    page.goto("/ui/projects/dropped")
    transfer = page.evaluate_handle(
        """text => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "dropped.csv", {type: "text/csv"}));
            return transfer;
        }""", csv_file.read_text())
    zone = page.locator("#dropzone")
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})
    page.wait_for_function(
        """() => {
            const files = document.querySelector("form#upload input[name=file]").files;
            return files.length === 1 && files[0].name === "dropped.csv";
        }""")
    shot(page, "dropped")
    form = page.locator("form#upload")
    form.locator("input[name=dataset_name]").fill("fromdrop")
    submit(form)
    wait_for_job(page)
    page.locator("a#job-result").click()
    expect(page.locator("#dataset-info")).to_contain_text(str(ROWS))


def test_a_regression_model_draws_predictions_against_actual_values(page, shot, tmp_path):
    sign_in(page, f"key-{secrets.token_hex(8)}")
    create_project(page, "houses")
    upload(page, "houses", write_csv(tmp_path / "prices.csv", task="regression"), "prices",
           label="target")  # a numeric column is a feature unless named the label
    train(page, "/ui/projects/houses/datasets/prices", "reg", task="regression")
    page.locator("a#job-result").click()
    expect(page).to_have_url(re.compile(r"/datasets/prices/models/reg$"))
    expect(page.locator("#model-summary")).to_contain_text("regression")
    expect(page.locator("svg#pred-vs-actual circle").first).to_be_attached()
    assert page.locator("svg#pred-vs-actual circle").count() > 0
    expect(page.locator("svg#importance-chart rect").first).to_be_attached()
    expect(page.locator("svg#roc-chart")).to_have_count(0)
    expect(page.locator("table#confusion-matrix")).to_have_count(0)
    shot(page, "regression-model")
