"""Shared-secret checks, in constant time, for the webhook and the admin API."""

from __future__ import annotations

import hmac

from flask import Request


def _equal(given: str | None, secret: str) -> bool:
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


def webhook_token_ok(secret: str | None, *, path_token: str | None,
                     header_token: str | None, authorization: str | None) -> bool:
    """Accept ``Authorization: Token|Bearer``, ``X-Router-Token`` or the URL path segment.

    Takes header values rather than a request, for the Flask view and the WSGI
    webhook lane alike.
    """
    if secret is None:
        return True
    candidates = [path_token, header_token]
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() in ("token", "bearer"):
        candidates.append(value.strip())
    # Evaluate every candidate so timing does not reveal which one was tried.
    results = [_equal(c, secret) for c in candidates]
    return any(results)


def bearer_ok(request: Request, secret: str | None) -> bool:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return secret is not None and scheme.lower() == "bearer" and _equal(value.strip(), secret)
