"""The dashboard's image source: camera images fetched through the attachments' allowlist.

The browser loads snapshot and reference images through the router, so the
dashboard works where the upstream media host is not reachable from the
operator's network, and a page never makes the browser fetch an arbitrary URL
from a webhook. What may be fetched is exactly what may be attached to a
message (``router.channels.images.ImageFetcher``: http(s), allowlisted hosts,
public addresses unless configured, image content only, 5 MiB, short timeout,
cached). One fetcher per application, so its cache serves every page view.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask, current_app

from router.channels.images import FetchedImage, ImageFetcher
from router.errors import ImageRefused
from router.settings import Settings

__all__ = ["FetchedImage", "ImageRefused", "ImageSource", "image_source", "install"]
_KEY = "router.images"


class ImageSource(Protocol):
    def fetch(self, url: str) -> FetchedImage:
        """The image at ``url``, or ImageRefused with a reason safe to show."""
        ...


def install(app: Flask, settings: Settings, source: ImageSource | None = None) -> None:
    """Give ``app`` its image source (tests may pass their own)."""
    app.extensions[_KEY] = source or ImageFetcher.from_settings(settings)


def image_source() -> ImageSource:
    source: ImageSource = current_app.extensions[_KEY]
    return source
