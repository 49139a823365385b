"""The web app: FastAPI pages and a REST API (``/api/v1``, OpenAPI) over a stored book.

app = create_app(engine, token, workspace)     # nothing is created at import
uvicorn.run(app, host="127.0.0.1", port=8000)  # what ``conviction serve`` does

The names below are imported from their modules on first use (conviction._lazy).
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.web.app import DEFAULT_MAX_BODY, create_app
    from conviction.web.auth import Token, new_token

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.web.app": (
            "DEFAULT_MAX_BODY",
            "create_app",
        ),
        "conviction.web.auth": (
            "Token",
            "new_token",
        ),
    },
)

__all__ = ["DEFAULT_MAX_BODY", "Token", "create_app", "new_token"]
