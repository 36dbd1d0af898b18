"""The official VecML example workflow (../shared/examples/seed_workflow.py) with automl_client:
create a project, upload a training DataFrame, train a high_speed classifier, wait for it,
predict a second DataFrame, read the metrics, clean up.

    pip install ./client
    export AUTOML_BASE_URL=http://127.0.0.1:8000 AUTOML_API_KEY=my-secret-key
    python examples/client_workflow.py

The data is the official example's: 64 random features and a category A/B/C, the label 1 when
the first 20 features plus the category's weight are positive.
"""

import numpy as np
import pandas as pd
from automl_client import Client, NotFound


def generate_dataset(num_samples: int, vector_dim: int, seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    vectors = rng.randn(num_samples, vector_dim)
    categories = [rng.choice(["A", "B", "C"]) for _ in range(num_samples)]
    weight = {"A": 1.0, "B": -0.5, "C": 0.0}
    scores = vectors[:, :20].sum(axis=1) + np.array([weight[c] for c in categories])
    df = pd.DataFrame(vectors, columns=[f"f{i}" for i in range(vector_dim)])
    df["category"] = categories  # text: uploaded as a categorical attribute
    df["label"] = np.where(scores > 0, "1", "0")
    return df


def main() -> None:
    with Client() as client:  # AUTOML_BASE_URL (default http://127.0.0.1:8000), AUTOML_API_KEY
        try:  # clean up any earlier run
            client.project("AutoML-Demo").delete()
        except NotFound:
            pass

        project = client.create_project("AutoML-Demo")
        train = project.upload("training_data", generate_dataset(1000, 64, seed=2025),
                               label="label")  # waits for the upload job

        job = train.train("model1", mode="high_speed", task="classification", label="label")
        model = job.wait(progress=True)  # raises TrainingFailed with the server's reason
        print("validation metric:", model.validation_metric)

        test = generate_dataset(100, 64, seed=2026)
        predictions = model.predict(test)  # a Series, indexed like `test`
        print("predictions:", predictions.value_counts().to_dict())
        accuracy = (predictions.astype(str) == test["label"]).mean()
        print("accuracy:", accuracy)
        print(model.feature_importance().head())

        project.delete()
        assert len(predictions) == 100 and accuracy > 0.7, accuracy


if __name__ == "__main__":
    main()
