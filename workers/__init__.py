"""Celery workers of the production mode: `automl-server worker` runs them."""
