"""The one place that builds answers' envelopes: `{"success": true, ...}` on success and
`{"success": false, "error_message": "..."}` on failure. Routers return `success(...)` with the
fields of their answer (app/api/views.py words domain objects as those fields); the error
handlers and the body-size middleware answer `failure(...)`."""

from fastapi.responses import JSONResponse


def success(**fields: object) -> dict:
    return {"success": True, **fields}


def failure(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "error_message": message}, status_code=status,
                        headers=headers)
