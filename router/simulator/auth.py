"""``Authorization: Token ...`` checks with DRF's TokenAuthentication messages."""

from __future__ import annotations

from router.errors import AuthFailedError

from .state import State, User


def authenticate(header: str | None, state: State) -> User:
    parts = (header or "").split()
    if not parts or parts[0].lower() != "token":
        raise AuthFailedError("Authentication credentials were not provided.")
    if len(parts) == 1:
        raise AuthFailedError("Invalid token header. No credentials provided.")
    if len(parts) > 2:
        raise AuthFailedError("Invalid token header. Token string should not contain spaces.")
    with state.lock:
        user = state.user_by_token(parts[1])
    if user is None:
        raise AuthFailedError("Invalid token.")
    return user
