"""The single exception type of the ingest package."""


class IngestError(ValueError):
    """Bad user input.

    ``str(err)`` is a message meant for the end user: it says what is wrong and, where it can,
    where (line, record or column) and how to fix it. API code turns it into an HTTP 400.
    """
