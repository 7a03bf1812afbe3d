"""Read images from disk or the web as NumPy arrays, with Pillow."""

import io
import urllib.request
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
from PIL import Image

URL_TIMEOUT = 5  # seconds to wait for a web server before giving up on an image


def image_from_url(url):
    """The image at `url` as (H, W, 3) uint8 RGB, or None if it cannot be read.

    file:// URLs and plain paths are read from disk, http(s) URLs are fetched with a
    short timeout. A missing file, an unreachable or dead link, or data that is not
    an image all give None, quietly: the caller skips the image.
    """
    try:
        scheme = urlparse(str(url)).scheme
        if scheme in ("http", "https"):
            with urllib.request.urlopen(url, timeout=URL_TIMEOUT) as response:
                source = io.BytesIO(response.read())
        elif scheme == "file":
            source = url2pathname(urlparse(url).path)
        else:
            source = Path(url)
        with Image.open(source) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError):  # URLError and UnidentifiedImageError included
        return None


def load_image(filename, size=None):
    """The image file as (H, W, 3) uint8 RGB.

    size: if given, the image is resized (bicubic) so that its shorter side has this
    many pixels, keeping the aspect ratio.
    """
    with Image.open(filename) as image:
        image = image.convert("RGB")
        if size is not None:
            scale = size / min(image.size)
            width, height = image.size
            new_size = (max(round(width * scale), 1), max(round(height * scale), 1))
            image = image.resize(new_size, Image.Resampling.BICUBIC)
        return np.asarray(image)
