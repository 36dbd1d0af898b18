"""Columns of raw values (categorical attributes, labels) handled once per distinct value:
`factorize` lives with the scoring code in `automl_runtime.columns` (the server and the
standalone runtime canonicalise categories the same way)."""

from automl_runtime.columns import MIN_CELLS, factorize

__all__ = ["MIN_CELLS", "factorize"]
