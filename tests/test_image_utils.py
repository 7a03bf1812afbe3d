import functools
import http.server
import socket
import threading

import numpy as np
import pytest
from PIL import Image

from course_lib.image_utils import image_from_url, load_image


@pytest.fixture
def picture(tmp_path):
    """A 12x20 RGB PNG with distinct pixels, and its array."""
    pixels = np.arange(12 * 20 * 3, dtype=np.uint8).reshape(12, 20, 3)
    path = tmp_path / "picture.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


def test_reads_file_urls_and_paths(picture):
    path, pixels = picture
    for source in (path.as_uri(), str(path), path):
        image = image_from_url(source)
        assert image.dtype == np.uint8
        np.testing.assert_array_equal(image, pixels)


def test_converts_to_rgb(tmp_path):
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((4, 5), 77, dtype=np.uint8)).save(path)
    assert image_from_url(path.as_uri()).shape == (4, 5, 3)
    assert load_image(path).shape == (4, 5, 3)


def test_unreadable_sources_give_none(tmp_path):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("hello")
    assert image_from_url((tmp_path / "absent.png").as_uri()) is None
    assert image_from_url(not_an_image) is None
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert image_from_url(f"http://127.0.0.1:{port}/x.png") is None


def test_reads_http_urls(picture):
    path, pixels = picture
    handler = functools.partial(QuietHandler, directory=str(path.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        np.testing.assert_array_equal(image_from_url(f"{base}/picture.png"), pixels)
        assert image_from_url(f"{base}/missing.png") is None
    finally:
        httpd.shutdown()
        httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_load_image_resizes_the_shorter_side(picture):
    path, pixels = picture
    np.testing.assert_array_equal(load_image(path), pixels)
    resized = load_image(path, size=6)
    assert resized.shape == (6, 10, 3) and resized.dtype == np.uint8
    expected = Image.fromarray(pixels).resize((10, 6), Image.Resampling.BICUBIC)
    np.testing.assert_array_equal(resized, np.asarray(expected))
