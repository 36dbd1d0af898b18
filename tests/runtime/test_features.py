"""The input rows' container."""

import numpy as np
from automl_runtime.features import Features


def test_categorical_column_names_are_strings():
    """A model stores its column names as strings: a column passed as 5 is the column "5"
    (it was stored as "5" and then looked up as 5 at predict time: 'missing from the data')."""
    X = Features(numeric=np.zeros((2, 1)), numeric_names=["a"], categorical={5: ["u", "v"]})
    assert X.categorical == {"5": ["u", "v"]}
    assert X.take([1]).categorical == {"5": ["v"]}
