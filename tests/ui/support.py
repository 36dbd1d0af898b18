"""Data and helpers for the dashboard's browser tests: small CSV files, data made through the
REST API where a test only reads it, and the steps a person takes on the pages."""

import base64
import re
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from playwright.sync_api import Locator, Page, expect

ROWS = 150
DESKTOP = {"width": 1280, "height": 800}
JOB_TIMEOUT_MS = 120_000
WORDS = re.compile(r"[A-Za-z]{3,}.*[A-Za-z]{3,}", re.S)  # a sentence, not a bare code


def frame(n: int = ROWS, seed: int = 0, task: str = "classification") -> pd.DataFrame:
    """Numeric columns with a few missing values, a text categorical (missing values too) and
    a label: yes/no text for classification, a number for regression."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "feat_a": rng.normal(size=n).round(4),
        "feat_b": rng.normal(size=n).round(4),
        "shade": rng.choice(["red", "green", "blue"], size=n).astype(object),
    })
    if task == "classification":
        signal = df["feat_a"] + (df["shade"] == "red") * 1.5
        df["target"] = np.where(signal > 0.3, "yes", "no")
    else:
        noise = rng.normal(scale=0.1, size=n)
        df["target"] = (3 * df["feat_a"] - df["feat_b"] + noise).round(4)
    df.loc[df.index % 9 == 0, "feat_b"] = np.nan
    df.loc[df.index % 11 == 0, "shade"] = None
    return df


def write_csv(path: Path, n: int = ROWS, seed: int = 0,
              task: str = "classification") -> Path:
    frame(n, seed, task).to_csv(path, index=False)
    return path


SHADE_MISSING = sum(1 for i in range(ROWS) if i % 11 == 0)


# ---- data made through the REST API (for tests that only read it) ----

@dataclass
class Seeded:
    key: str
    project: str
    dataset: str
    model: str | None = None
    upload_job: str | None = None
    train_job: str | None = None

    @property
    def project_url(self) -> str:
        return f"/ui/projects/{self.project}"

    @property
    def dataset_url(self) -> str:
        return f"{self.project_url}/datasets/{self.dataset}"

    @property
    def model_url(self) -> str:
        return f"{self.dataset_url}/models/{self.model}"

    @property
    def compare_url(self) -> str:
        return f"{self.dataset_url}/compare"


def _api(base: str, key: str, endpoint: str, **body) -> dict:
    response = httpx.post(f"{base}/api/{endpoint}", json={"user_api_key": key, **body},
                          timeout=30)
    payload = response.json()
    assert response.status_code == 200 and payload.get("success"), (endpoint, payload)
    return payload


def _wait(base: str, key: str, endpoint: str, job_id: str) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
    while True:  # polling the job's state, as every client does
        status = _api(base, key, endpoint, job_id=job_id)
        if status["status"] == "finished":
            return
        assert status["status"] != "failed", status
        assert time.monotonic() < deadline, f"job {job_id} still {status['status']}"
        time.sleep(0.1)


def seed(base: str, key: str, csv: Path, project: str = "seeded", dataset: str = "train",
         model: str | None = None, task: str = "classification") -> Seeded:
    """A project with a dataset uploaded from `csv` (label column `target`) and, when `model`
    is given, a high_speed model trained on it, all through /api with `key`."""
    _api(base, key, "create_project", project_name=project, application="Machine Learning")
    upload = _api(base, key, "upload", project_name=project, collection_name=dataset,
                  file_format="csv", has_field_names=True, label_column="target",
                  file_data=base64.b64encode(csv.read_bytes()).decode())
    _wait(base, key, "get_upload_data_status", upload["job_id"])
    seeded = Seeded(key, project, dataset, upload_job=str(upload["job_id"]))
    if model:
        train = _api(base, key, "train_automl_model", project_name=project,
                     collection_name=dataset, model_name=model, training_mode="high_speed",
                     task_type=task, label_attribute="target", time_budget=5)
        _wait(base, key, "get_automl_training_status", train["job_id"])
        seeded.model, seeded.train_job = model, str(train["job_id"])
    return seeded


# ---- what a person does on the pages ----

def submit(form: Locator) -> None:
    form.locator("[type=submit], button:not([type])").first.click()


def sign_in(page: Page, key: str) -> None:
    page.goto("/ui/login")
    form = page.locator("form#login")
    form.locator("input[name=api_key]").fill(key)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/ui/projects$"))


def sign_out(page: Page) -> None:
    submit(page.locator("form#logout"))
    expect(page).to_have_url(re.compile(r"/ui/login$"))


def create_project(page: Page, name: str) -> None:
    page.goto("/ui/projects")
    form = page.locator("form#create-project")
    form.locator("input[name=project_name]").fill(name)
    submit(form)
    page.goto("/ui/projects")
    expect(page.locator(f'table#projects a[data-project="{name}"]')).to_be_visible()


def wait_for_job(page: Page) -> str:
    """On a job page: waits until the job is over; it must have finished. Returns the page's
    URL."""
    expect(page).to_have_url(re.compile(r"/ui/jobs/[^/]+$"))
    status = page.locator("#job-status")
    expect(status).to_have_text(re.compile(r"^\s*(finished|failed)\s*$"),
                                timeout=JOB_TIMEOUT_MS)
    if "failed" in status.inner_text():
        raise AssertionError(f"job failed: {page.locator('.error').all_inner_texts()}")
    assert page.locator("progress#job-progress").evaluate("bar => bar.value === bar.max")
    return page.url


def upload(page: Page, project: str, csv: Path, dataset: str, label: str | None = None) -> str:
    """Uploads `csv` on the project page (`label`: the optional label column) and waits for
    its job; returns the job page's URL."""
    page.goto(f"/ui/projects/{project}")
    form = page.locator("form#upload")
    form.locator("input[name=file]").set_input_files(str(csv))
    form.locator("input[name=dataset_name]").fill(dataset)
    if label:
        form.locator("input[name=label_column]").fill(label)
    submit(form)
    return wait_for_job(page)


def fill_training(page: Page, model: str, task: str = "classification",
                  label: str = "target", budget: str = "5") -> Locator:
    form = page.locator("form#train")
    form.locator("input[name=model_name]").fill(model)
    form.locator("select[name=training_mode]").select_option("high_speed")
    form.locator("select[name=task_type]").select_option(task)
    form.locator("select[name=label_attribute]").select_option(label)
    form.locator("input[name=time_budget]").fill(budget)
    return form


def train(page: Page, dataset_url: str, model: str, task: str = "classification") -> str:
    """Trains a high_speed model from the dataset page and waits; returns the job page URL."""
    page.goto(dataset_url)
    submit(fill_training(page, model, task))
    return wait_for_job(page)


def expect_error_in_words(page: Page) -> str:
    error = page.locator(".error").first
    expect(error).to_be_visible()
    expect(error).to_have_text(WORDS)
    return error.inner_text()
