"""Bearer tokens for writes: compared in constant time, kept only as a hash if wanted.

Reads are open (the server listens on 127.0.0.1 unless told otherwise); every request
that changes something needs ``Authorization: Bearer <token>``. Without it, or with a
wrong one, the answer is 401 and nothing is read from the body or written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

__all__ = ["MIN_DISTINCT", "MIN_LENGTH", "Token", "check_token", "new_token", "require_token"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Token:
    """The write token, held as its SHA-256 (the server never needs the token itself)."""

    sha256: str

    @classmethod
    def of(cls, token: str) -> Token:
        """The token exactly as given, once it passes :func:`check_token`."""
        check_token(token)
        return cls(_digest(token))

    def verify(self, candidate: str) -> bool:
        return hmac.compare_digest(_digest(candidate), self.sha256)


#: The rule a write token must pass (``CONVICTION_TOKEN``, ``create_app``'s ``token``).
MIN_LENGTH = 16
MIN_DISTINCT = 8


def check_token(token: str) -> None:
    """Refuse (``ValueError``, never showing the token) a token that is not taken exactly
    as given or is too easy to guess. The rule: at least 16 characters; visible ASCII
    only (``!`` to ``~``: no spaces, tabs, newlines or other whitespace anywhere, so none
    around it either, and nothing a header could not carry); at least 8 distinct
    characters (so not all one character, nor ``abababab...``)."""
    if token != token.strip():
        raise ValueError("the token has whitespace around it: give it exactly, without")
    if len(token) < MIN_LENGTH:
        raise ValueError(f"a token needs at least {MIN_LENGTH} characters, got {len(token)}")
    if not all("!" <= c <= "~" for c in token):
        raise ValueError("a token may hold only visible ASCII characters (no spaces)")
    if len(set(token)) < MIN_DISTINCT:
        raise ValueError(
            f"a token needs at least {MIN_DISTINCT} different characters, "
            f"got {len(set(token))}: use a random one (conviction serve makes one)"
        )


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


_bearer = HTTPBearer(auto_error=False, description="The write token (CONVICTION_TOKEN).")


async def require_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    """Dependency of every write: 401 unless the bearer token matches (a coroutine, run
    on the event loop: see ``web.context.context``)."""
    token: Token = request.app.state.ctx.token
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            {"message": "this request changes data: send Authorization: Bearer <token>"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not token.verify(credentials.credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            {"message": "wrong token"},
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
