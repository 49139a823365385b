"""The web app: FastAPI pages and a REST API (``/api/v1``, OpenAPI) over a stored book.

app = create_app(engine, token, workspace)     # nothing is created at import
uvicorn.run(app, host="127.0.0.1", port=8000)  # what ``conviction serve`` does
"""

from conviction.web.app import DEFAULT_MAX_BODY, create_app
from conviction.web.auth import Token, new_token

__all__ = ["DEFAULT_MAX_BODY", "Token", "create_app", "new_token"]
