"""The exception types of the ingest package."""


class IngestError(ValueError):
    """Bad user input.

    ``str(err)`` is a message meant for the end user: it says what is wrong and, where it can,
    where (line, record or column) and how to fix it. API code turns it into an HTTP 400.
    """


class TooLarge(IngestError):
    """The input is larger than a limit of the server (bytes or rows); API code answers 413.
    The message names the limit and the ``AUTOML_*`` setting that raises it."""
