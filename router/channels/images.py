"""Fetch the snapshot and reference images that go with a message, carefully.

An image URL comes from a webhook or the VisionAlert API, so it is treated as
untrusted: it is fetched only when

- the scheme is http or https and the host is on the allowlist (the host of
  ``ROUTER_VISIONALERT_URL``, whose ``/media/`` URLs carry the images, plus
  ``ROUTER_IMAGE_HOSTS``); a redirect is followed only to an allowlisted host;
- every address the host resolves to is public, unless the host is configured
  explicitly (``ROUTER_IMAGE_HOSTS``, or a ``ROUTER_VISIONALERT_URL`` other than
  the default), which is how a local simulator is allowed. The connection goes
  to the address that was checked, so DNS cannot change it in between;
- the answer is 200 with an image content type (jpeg, png, gif, webp) whose
  bytes look like that image, at most ``ROUTER_IMAGE_MAX_BYTES`` (5 MiB), within
  ``ROUTER_IMAGE_TIMEOUT`` seconds in total.

Results are cached per URL (successes ``cache_seconds``, refusals a minute),
and concurrent fetches of one URL wait for a single request. A refusal raises
``ImageRefused`` with a reason that names the host, never the query string
(signed URLs carry tokens there).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from cachetools import TLRUCache

from router.errors import ImageRefused
from router.settings import Settings

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
REFUSAL_SECONDS = 60.0
CACHE_BYTES = 64 * 1024 * 1024
_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",),
          "image/gif": (b"GIF87a", b"GIF89a"), "image/webp": (b"RIFF",)}
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchedImage:
    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return _TYPES[self.content_type]


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _where(url: str) -> str:
    """A URL as it may appear in a reason: host and path, no query (tokens live there)."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}{parts.path}"


def _host_entry(entry: str) -> str:
    entry = entry.strip().lower()
    return urlsplit(entry).hostname or "" if "://" in entry else entry.split(":")[0].strip("[]")


class ImageFetcher:
    """Allowlisted, size- and type-checked, cached image fetching (thread-safe)."""

    def __init__(self, hosts: Iterable[str], *, explicit: Iterable[str] = (),
                 max_bytes: int = MAX_BYTES, timeout: float = 3.0,
                 cache_seconds: float = 600.0, resolver: Resolver = _resolve,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hosts = frozenset(h for h in map(_host_entry, hosts) if h)
        self.explicit = frozenset(h for h in map(_host_entry, explicit) if h) & self.hosts
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._resolver = resolver
        self._clock = clock
        # Least recently used first out beyond CACHE_BYTES; each entry expires after its own
        # TTL (successes cache_seconds, refusals REFUSAL_SECONDS). Guarded by self._lock.
        self._cache: TLRUCache[str, FetchedImage | ImageRefused] = TLRUCache(
            maxsize=CACHE_BYTES, ttu=self._ttu, timer=clock, getsizeof=_size)
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Lock] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageFetcher:
        va_host = _host_entry(settings.visionalert_url)
        extra = [h for h in settings.image_hosts.split(",") if h.strip()]
        default_url = Settings.model_fields["visionalert_url"].default
        explicit = [*extra, *([va_host] if settings.visionalert_url != default_url else [])]
        return cls([va_host, *extra], explicit=explicit, max_bytes=settings.image_max_bytes,
                   timeout=settings.image_timeout)

    # -- cache -----------------------------------------------------------------------
    def fetch(self, url: str) -> FetchedImage:
        """The image at ``url``, from the cache or fetched; ImageRefused says why not."""
        with self._lock:
            gate = self._inflight.setdefault(url, threading.Lock())
        with gate:  # one request per URL at a time; the others find it cached
            result = self._cached(url)
            if result is None:
                try:
                    result = self._fetch(url)
                except ImageRefused as refused:
                    result = refused
                self._store(url, result)
        with self._lock:
            self._inflight.pop(url, None)
        if isinstance(result, ImageRefused):
            raise result
        return result

    def _ttu(self, _url: str, result: FetchedImage | ImageRefused, now: float) -> float:
        ttl = self.cache_seconds if isinstance(result, FetchedImage) else REFUSAL_SECONDS
        return now + ttl

    def _cached(self, url: str) -> FetchedImage | ImageRefused | None:
        with self._lock:
            return self._cache.get(url)

    def _store(self, url: str, result: FetchedImage | ImageRefused) -> None:
        with self._lock:
            self._cache.pop(url, None)
            with contextlib.suppress(ValueError):  # larger than the whole cache: not kept
                self._cache[url] = result

    # -- one fetch -----------------------------------------------------------------------
    def _fetch(self, url: str) -> FetchedImage:
        deadline = self._clock() + self.timeout
        for _ in range(MAX_REDIRECTS + 1):
            target, ip = self._check(url)
            location = self._get(target, ip, deadline)
            if isinstance(location, FetchedImage):
                return location
            url = urljoin(url, location)
        raise ImageRefused(f"more than {MAX_REDIRECTS} redirects from {_where(url)}")

    def _check(self, url: str) -> tuple[httpx.URL, str]:
        """The URL to connect to, pinned to an address that passed the checks."""
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme not in ("http", "https"):
            raise ImageRefused(f"scheme {scheme or 'none'!r} is not allowed (http or https only)")
        if host not in self.hosts:
            raise ImageRefused(f"host {host or '?'} is not on the image allowlist "
                               "(ROUTER_IMAGE_HOSTS)")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
            addresses = self._resolver(host, port)
        except (OSError, ValueError) as e:
            raise ImageRefused(f"host {host} cannot be resolved: {e}") from None
        if not addresses:
            raise ImageRefused(f"host {host} has no address")
        if host not in self.explicit:
            for address in addresses:
                if not ipaddress.ip_address(address.split("%")[0]).is_global:
                    raise ImageRefused(
                        f"host {host} resolves to a private or loopback address; configure "
                        "it in ROUTER_IMAGE_HOSTS to allow it")
        return httpx.URL(url), addresses[0]

    def _get(self, url: httpx.URL, ip: str, deadline: float) -> FetchedImage | str:
        """One request: the image, or the Location of a redirect."""
        pinned = url.copy_with(host=ip)
        headers = {"Host": url.netloc.decode("ascii"), "Accept": ", ".join(_TYPES)}
        extensions: dict[str, Any] = {"sni_hostname": url.host} if url.scheme == "https" else {}
        timeout = httpx.Timeout(max(deadline - self._clock(), 0.1))
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client, \
                    client.stream("GET", pinned, headers=headers,
                                  extensions=extensions) as response:
                if response.is_redirect:
                    return str(response.headers.get("location", ""))
                return self._read(response, url, deadline)
        except httpx.HTTPError as e:
            raise ImageRefused(f"fetching {_where(str(url))} failed: {type(e).__name__}") from None

    def _read(self, response: httpx.Response, url: httpx.URL, deadline: float) -> FetchedImage:
        where = _where(str(url))
        if response.status_code != 200:
            raise ImageRefused(f"{where} answered HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _TYPES:
            raise ImageRefused(f"{where} is not an image (content type "
                               f"{content_type or 'missing'!r})")
        declared = int(response.headers.get("content-length") or 0)
        if declared > self.max_bytes:
            raise ImageRefused(f"{where} is too large ({declared} bytes, "
                               f"limit {self.max_bytes})")
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > self.max_bytes:
                raise ImageRefused(f"{where} is too large (over {self.max_bytes} bytes)")
            if self._clock() > deadline:
                raise ImageRefused(f"fetching {where} took longer than {self.timeout} s")
        if not bytes(data).startswith(_MAGIC[content_type]):
            raise ImageRefused(f"{where} does not contain a {content_type} image")
        return FetchedImage(bytes(data), content_type)


def _size(result: FetchedImage | ImageRefused) -> int:
    return len(result.data) if isinstance(result, FetchedImage) else 0
