"""The VisionAlert REST API client (httpx): typed results, retries, shared limits.

Every request goes through the shared circuit breaker and rate limiter, then
is retried (tenacity) on 429, 5xx, timeouts and connection errors with
exponential backoff and full jitter (a 429's ``Retry-After`` blocks every
process through the limiter instead, so it is not slept twice). Lists are
followed through their ``next`` links only; cursors are never built, and a
``next`` link to another host is refused so the token never leaves for a host
we were not configured with.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential

from router import __version__
from router.clock import parse_retry_after
from router.obs import metrics
from router.upstream.breaker import CircuitBreaker
from router.upstream.errors import (
    UpstreamError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from router.upstream.models import Alert, Camera, License, Log, Page, Reference
from router.upstream.ratelimit import Limiter

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
PAGE_SIZE = 200  # the documented maximum: fewest requests per listing
RETRY_BASE, RETRY_CAP = 0.5, 8.0


class VisionAlertClient:
    def __init__(self, base_url: str, token: str, *, limiter: Limiter,
                 breaker: CircuitBreaker, timeout: float, attempts: int,
                 sleep: Callable[[float], None], transport: httpx.BaseTransport | None = None,
                 rng: random.Random | None = None, page_size: int = PAGE_SIZE) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.limiter, self.breaker, self.sleep = limiter, breaker, sleep
        self.attempts, self.page_size = attempts, page_size
        self._rng = rng
        self._origin = _origin(self.base_url)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False,
            headers={"Authorization": f"Token {token}",
                     "User-Agent": f"visionalert-router/{__version__}"})

    def close(self) -> None:
        self._http.close()

    # -- endpoints -------------------------------------------------------------------
    def licenses(self) -> list[License]:
        data = self._get(self.base_url + "licenses/")
        if not isinstance(data, list):
            raise UpstreamRejected("licenses/ did not answer a JSON array")
        return [_typed(License, item, f"licenses/[{i}]") for i, item in enumerate(data)]

    def cameras(self, license_id: int) -> Iterator[list[Camera]]:
        """Pages of the license's cameras, newest first; stop iterating to stop fetching."""
        for page in self._pages(f"{license_id}/cameras/", {}):
            yield [_typed(Camera, item, f"cameras/[{i}]") for i, item in enumerate(page)]

    def alerts(self, license_id: int, *, start: str | None) -> Iterator[list[Alert]]:
        """Pages of the license's alerts created at or after ``start``, newest first."""
        params = {"start": start} if start else {}
        for page in self._pages(f"{license_id}/alerts/", params):
            yield [_typed(Alert, item, f"alerts/[{i}]") for i, item in enumerate(page)]

    def logs(self, license_id: int, *, start: str) -> Iterator[list[Log]]:
        """Pages of the license's monitoring logs created at or after ``start``, newest first."""
        for page in self._pages(f"{license_id}/logs/", {"start": start}):
            yield [_typed(Log, item, f"logs/[{i}]") for i, item in enumerate(page)]

    def reference(self, license_id: int, serial: str) -> str | None:
        path = f"{license_id}/cameras/{quote(serial, safe='')}/reference/"
        return _typed(Reference, self._get(self.base_url + path), "reference/").reference_image

    # -- mechanics -------------------------------------------------------------------
    def _pages(self, path: str, params: Mapping[str, str]) -> Iterator[list[dict[str, Any]]]:
        url: str | None = self.base_url + path
        query: dict[str, str] | None = {**params, "page_size": str(self.page_size)}
        while url is not None:
            page = _typed(Page, self._get(url, query), path)
            yield page.results
            url, query = page.next, None  # ``next`` carries every parameter
            if url is not None and _origin(urljoin(self.base_url, url)) != self._origin:
                raise UpstreamRejected(f"{path}: refusing a next link to another host")

    def _get(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        endpoint = urlsplit(url).path
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts), wait=_Backoff(self._rng),
            retry=retry_if_exception_type((UpstreamUnavailable, UpstreamThrottled)),
            sleep=self.sleep, retry_error_callback=self._gave_up, reraise=False)
        return retrying(self._attempt, url, params, endpoint)

    def _attempt(self, url: str, params: Mapping[str, str] | None, endpoint: str) -> Any:
        self.breaker.check()
        self.limiter.acquire()
        try:
            response = self._http.get(url, params=params)
        except httpx.TimeoutException:
            failure: UpstreamError = UpstreamUnavailable(
                f"VisionAlert API timed out ({endpoint})")
        except httpx.TransportError as exc:
            failure = UpstreamUnavailable(
                f"VisionAlert API unreachable ({endpoint}): {_transport_reason(exc)}")
        else:
            judged = self._judge(response, endpoint)
            if judged is None:
                metrics.upstream_request(endpoint, ok=True)
                return _json(response, endpoint)
            failure = judged
        finally:
            self.limiter.finished()
        metrics.upstream_request(endpoint, ok=False, reason=type(failure).__name__)
        log.warning("VisionAlert API call failed",
                    extra={"endpoint": endpoint, "error": str(failure)})
        raise failure

    def _gave_up(self, state: RetryCallState) -> Any:
        failure = state.outcome.exception() if state.outcome is not None else None
        message = f"{failure} (after {state.attempt_number} attempts)"
        if isinstance(failure, UpstreamThrottled):
            raise UpstreamThrottled(message, failure.retry_after)
        raise UpstreamUnavailable(message)

    def _judge(self, response: httpx.Response, endpoint: str) -> UpstreamError | None:
        """None for a 2xx; else the failure, after telling the breaker and limiter."""
        status = response.status_code
        if 200 <= status < 300:
            self.breaker.success()
            metrics.upstream_request(endpoint, ok=True)
            log.info("VisionAlert API call", extra={"endpoint": endpoint, "status": status})
            return None
        if status == 429:
            wait = _retry_after(response)
            self.limiter.block(wait)
            return UpstreamThrottled(f"VisionAlert API throttled us (429, Retry-After {wait:g}s)",
                                     retry_after=wait)
        if status >= 500:
            reason = f"VisionAlert API error {status} ({endpoint})"
            self.breaker.failure(reason)
            return UpstreamUnavailable(reason)
        self.breaker.success()  # the service is up; it just refuses this request
        metrics.upstream_request(endpoint, ok=False, reason=f"status_{status}")
        raise UpstreamRejected(f"VisionAlert API refused {endpoint}: {status} "
                               f"{_detail(response)}", status=status)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _transport_reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return f"{type(exc).__name__}: {text}"


def _retry_after(response: httpx.Response) -> float:
    """Seconds or an HTTP date; a missing or unreadable header counts as 1 s."""
    wait = parse_retry_after(response.headers.get("Retry-After"), time.time())
    return 1.0 if wait is None else wait


class _Backoff(wait_exponential):
    """Full jitter (AWS, "Exponential Backoff and Jitter") drawn from our own rng, so
    tests can fix it; no wait after a 429, whose Retry-After the shared limiter
    already enforces for every process."""

    def __init__(self, rng: random.Random | None) -> None:
        super().__init__(multiplier=RETRY_BASE, max=RETRY_CAP)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and isinstance(outcome.exception(), UpstreamThrottled):
            return 0.0
        return self._rng.uniform(0.0, super().__call__(retry_state))


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return str(body.get("detail", body)) if isinstance(body, dict) else response.reason_phrase


def _json(response: httpx.Response, endpoint: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UpstreamRejected(f"VisionAlert API answered {endpoint} with invalid JSON") from None


def _typed(model: type[M], data: Any, endpoint: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "$"
        raise UpstreamRejected(
            f"VisionAlert API answer of {endpoint} is not as documented: {where}: {first['msg']}"
        ) from None
