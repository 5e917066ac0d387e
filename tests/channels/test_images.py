"""Image fetching: allowlist, private addresses, redirects, size, type, cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from router.channels.images import FetchedImage, ImageFetcher
from router.errors import ImageRefused
from router.settings import Settings
from router.simulator.frames import camera_frame
from tests.support.httpsink import HttpSink, Reply

JPEG = camera_frame("test")


def _jpeg(**headers: str) -> Reply:
    return Reply(200, JPEG, {"Content-Type": "image/jpeg", **headers})


@pytest.fixture
def server() -> Iterator[HttpSink]:
    with HttpSink(default=_jpeg()) as sink:
        yield sink


def _local(**kwargs: object) -> ImageFetcher:
    """127.0.0.1 configured explicitly, as ROUTER_IMAGE_HOSTS does."""
    return ImageFetcher(["127.0.0.1"], explicit=["127.0.0.1"], **kwargs)  # type: ignore[arg-type]


def _refused(fetcher: ImageFetcher, url: str) -> str:
    with pytest.raises(ImageRefused) as info:
        fetcher.fetch(url)
    return str(info.value)


def test_allowlisted_image_is_fetched_and_cached(server: HttpSink) -> None:
    clock = [0.0]
    fetcher = _local(clock=lambda: clock[0], cache_seconds=60)
    url = server.url("/media/s.jpg?sig=abc")
    assert fetcher.fetch(url) == FetchedImage(JPEG, "image/jpeg")
    assert fetcher.fetch(url).extension == "jpg"
    assert len(server.requests) == 1  # cached per URL
    assert server.requests[0].header("Host") == f"127.0.0.1:{server.port}"
    clock[0] = 61.0
    fetcher.fetch(url)
    assert len(server.requests) == 2  # expired


def test_other_hosts_and_schemes_are_refused(server: HttpSink) -> None:
    fetcher = _local()
    assert "host localhost is not on the image allowlist" in _refused(
        fetcher, f"http://localhost:{server.port}/x.jpg")
    assert "scheme 'file' is not allowed" in _refused(fetcher, "file:///etc/passwd")
    assert "scheme 'ftp'" in _refused(fetcher, "ftp://127.0.0.1/x.jpg")
    assert server.requests == []


def test_loopback_is_refused_unless_configured_explicitly(server: HttpSink) -> None:
    allowlisted_only = ImageFetcher(["127.0.0.1"])
    reason = _refused(allowlisted_only, server.url("/x.jpg"))
    assert "resolves to a private or loopback address" in reason
    names = ImageFetcher(["intranet.example"], resolver=lambda host, port: ["10.1.2.3"])
    assert "private" in _refused(names, "https://intranet.example/x.jpg")
    assert server.requests == []


def test_settings_allow_the_visionalert_host_and_image_hosts(server: HttpSink) -> None:
    simulator = Settings.from_env({}, visionalert_url=f"http://127.0.0.1:{server.port}/v1/")
    assert _local().fetch(server.url("/a.jpg")).data == JPEG
    assert ImageFetcher.from_settings(simulator).fetch(server.url("/b.jpg")).data == JPEG
    extra = Settings.from_env({"ROUTER_IMAGE_HOSTS": "media.example.com, 127.0.0.1"})
    fetcher = ImageFetcher.from_settings(extra)
    assert fetcher.hosts == {"app.platerecognizer.com", "media.example.com", "127.0.0.1"}
    assert fetcher.explicit == {"media.example.com", "127.0.0.1"}  # the default host is not
    assert fetcher.fetch(server.url("/c.jpg")).data == JPEG


def test_redirects_are_followed_only_on_the_allowlist(server: HttpSink) -> None:
    server.script([Reply(302, headers={"Location": "/media/real.jpg"})])
    assert _local().fetch(server.url("/media/moved.jpg")).data == JPEG
    assert [r.path for r in server.requests] == ["/media/moved.jpg", "/media/real.jpg"]
    server.script([Reply(302, headers={"Location": "https://evil.example.net/x.jpg"})])
    assert "host evil.example.net is not on the image allowlist" in _refused(
        _local(), server.url("/media/away.jpg"))
    server.script([Reply(302, headers={"Location": "/loop.jpg"})] * 5)
    assert "more than 3 redirects" in _refused(_local(), server.url("/loop0.jpg"))


def test_oversized_images_are_refused(server: HttpSink) -> None:
    server.script([Reply(200, b"\xff\xd8\xff" + b"0" * 5000, {"Content-Type": "image/jpeg"})])
    assert "too large (5003 bytes, limit 2048)" in _refused(_local(max_bytes=2048),
                                                             server.url("/big.jpg"))


def test_non_images_are_refused(server: HttpSink) -> None:
    server.script([Reply(200, b"<html>login</html>", {"Content-Type": "text/html"}),
                   Reply(200, b"<html>", {"Content-Type": "image/jpeg"}),
                   Reply(404, b"nope", {"Content-Type": "image/jpeg"})])
    assert "is not an image (content type 'text/html')" in _refused(_local(), server.url("/a"))
    assert "does not contain a image/jpeg image" in _refused(_local(), server.url("/b"))
    assert "answered HTTP 404" in _refused(_local(), server.url("/c"))


def test_refusals_are_cached_briefly_and_never_show_the_query(server: HttpSink) -> None:
    server.script([Reply(500)])
    clock = [0.0]
    fetcher = _local(clock=lambda: clock[0])
    url = server.url("/s.jpg?X-Amz-Signature=SECRET123")
    first = _refused(fetcher, url)
    assert "SECRET123" not in first and "127.0.0.1/s.jpg answered HTTP 500" in first
    _refused(fetcher, url)
    assert len(server.requests) == 1
    clock[0] = 61.0
    assert fetcher.fetch(url).data == JPEG


def test_slow_server_is_cut_off_by_the_timeout() -> None:
    with HttpSink(default=_jpeg(), delay=3.0) as slow:
        reason = _refused(_local(timeout=0.3), slow.url("/slow.jpg"))
    assert "failed: ReadTimeout" in reason
