"""Latency of the official example's workload through a real embedded server.

Starts `automl-server serve` on a free port, then times: the add_data_batch request (1000 x 64)
and its job until `finished`; a high_speed training until `finished`; a 100-row prediction.
References measured in the same run, on the same data: the JSON round trip of the batch body
(encode + decode) and a plain LightGBM fit with default settings.

Usage: python bench/api_latency.py [--repeat 3]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_server_process import Server  # noqa: E402


def dataset(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 64))
    cats = rng.choice(["A", "B", "C"], size=n)
    score = x[:, :20].sum(axis=1) + np.select([cats == "A", cats == "B"], [1.0, -0.5], 0.0)
    labels = (score > 0).astype(int)
    attributes = [{"label": str(v), "category": str(c)} for v, c in zip(labels, cats,
                                                                        strict=True)]
    return x, cats, labels, attributes


def wait(server: Server, job_id: str, endpoint: str) -> float:
    start = time.perf_counter()
    while True:
        status = server.post(endpoint, job_id=job_id)["status"]
        if status in ("finished", "failed"):
            assert status == "finished", status
            return time.perf_counter() - start
        time.sleep(0.02)


def run_once(server: Server, round_: int) -> dict:
    x, cats, labels, attributes = dataset(1000, round_)
    project = f"bench{round_}"
    server.post("create_project", project_name=project)
    for name in ("train", "pred"):
        server.post("init", project_name=project, collection_name=name, vector_dim=64)
    body = {"project_name": project, "collection_name": "train", "data": x.tolist(),
            "attributes": attributes, "string_ids": [f"t{i}" for i in range(1000)]}
    start = time.perf_counter()
    job = server.post("add_data_batch", **body)["job_id"]
    answered = time.perf_counter() - start
    finished = answered + wait(server, job, "get_upload_data_status")

    ref_start = time.perf_counter()
    json.loads(json.dumps({"user_api_key": "seed-key", **body}))
    json_ref = time.perf_counter() - ref_start

    start = time.perf_counter()
    train = server.post("train_automl_model", project_name=project, collection_name="train",
                        model_name="m", training_mode="high_speed",
                        task_type="classification", label_attribute="label",
                        categorical_features=["category"])["job_id"]
    wait(server, train, "get_automl_training_status")
    trained = time.perf_counter() - start

    frame_x = np.column_stack([x, np.searchsorted(["A", "B", "C"], cats)])
    ref_start = time.perf_counter()
    lgb.LGBMClassifier(verbose=-1).fit(frame_x, labels, categorical_feature=[64])
    lgbm_ref = time.perf_counter() - ref_start

    px, _, _, pattributes = dataset(100, 1000 + round_)
    pred_job = server.post("add_data_batch", project_name=project, collection_name="pred",
                           data=px.tolist(), attributes=pattributes)["job_id"]
    wait(server, pred_job, "get_upload_data_status")
    start = time.perf_counter()
    result = server.post("automl_predict", project_name=project, collection_name="train",
                         model_name="m", prediction_dataset="pred")
    predicted = time.perf_counter() - start
    return {"batch_answer": answered, "batch_finished": finished, "json_ref": json_ref,
            "train_finished": trained, "lgbm_ref": lgbm_ref, "predict": predicted,
            "accuracy": result["prediction_metric"]["accuracy"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(Path(data_dir))
        try:
            rows = [run_once(server, i) for i in range(args.repeat)]
        finally:
            server.stop()
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"machine: {os.cpu_count()} cores; median of {args.repeat} rounds")
    print(f"{'measure':<40}{'seconds':>10}{'ratio to ref':>14}")
    print(f"{'add_data_batch 1000x64: answered':<40}{med['batch_answer']:>10.3f}"
          f"{med['batch_answer'] / med['json_ref']:>14.1f}  (ref: JSON round trip "
          f"{med['json_ref']:.3f} s)")
    print(f"{'add_data_batch 1000x64: job finished':<40}{med['batch_finished']:>10.3f}"
          f"{med['batch_finished'] / med['json_ref']:>14.1f}")
    print(f"{'high_speed training: job finished':<40}{med['train_finished']:>10.3f}"
          f"{med['train_finished'] / med['lgbm_ref']:>14.1f}  (ref: one default LightGBM fit "
          f"{med['lgbm_ref']:.3f} s)")
    print(f"{'automl_predict 100 rows':<40}{med['predict']:>10.3f}")
    print(f"{'prediction accuracy':<40}{med['accuracy']:>10.3f}")


if __name__ == "__main__":
    main()
