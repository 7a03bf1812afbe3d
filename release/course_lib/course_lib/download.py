"""Download files once, resumably and verified; fetch the original COCO captioning data.

The kit needs no download: it runs on embedded, generated data. This module is for
instructors and students who want the original data sets or weights. `fetch` works
for any file: it streams into `<dest>.part`, continues an interrupted download with
an HTTP Range request, checks the SHA-256 when one is known and only then moves the
file into place, so a file at `dest` is always complete.
"""

import hashlib
import os
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from course_lib.cache import data_home
from course_lib.progress import Progress

TIMEOUT = 30  # seconds without an answer from the server before giving up
CHUNK = 1 << 16

# The original course's archive of the COCO captioning folder. Its checksum was
# never published; pass sha256= to download_coco to have the archive verified.
COCO_CAPTIONING = {
    "url": "http://cs231n.stanford.edu/coco_captioning.zip",
    "sha256": None,
    "files": (
        "coco2014_captions.h5",
        "coco2014_vocab.json",
        "train2014_urls.txt",
        "val2014_urls.txt",
        "train2014_vgg16_fc7_pca.h5",
        "val2014_vgg16_fc7_pca.h5",
        "train2014_vgg16_fc7.h5",
        "val2014_vgg16_fc7.h5",
    ),
}


class DownloadError(OSError):
    """A download failed: network, server or file system."""


class ChecksumError(DownloadError):
    """A downloaded file is not the expected one."""


def fetch(url, dest, sha256=None, resume=True, progress=True):
    """Download `url` to the file `dest` and return `dest` as a Path.

    - sha256: expected hex digest. A file already at `dest` is kept if it matches
      (or, without a digest, if it exists at all); a download that does not match is
      deleted and ChecksumError raised.
    - resume: continue from an existing `<dest>.part` with an HTTP Range request. A
      server that ignores Range sends the whole file, which then replaces the part.
    - progress: show a progress bar where a person watches (a live notebook or a
      terminal; never under the autograder): see `course_lib.progress`.

    Raises DownloadError when the server cannot be reached or answers with an error,
    or when the connection breaks (the part is kept: call again to resume).
    """
    dest = Path(dest)
    if dest.is_file() and (sha256 is None or _sha256(dest) == sha256.lower()):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if not resume:
        part.unlink(missing_ok=True)

    # Ask for the rest of the file if a part of it is already here.
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "course_lib"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:
            # The part is at least as long as the file: start again from nothing.
            part.unlink()
            return fetch(url, dest, sha256, resume=False, progress=progress)
        raise DownloadError(
            f"{url} answered HTTP {error.code} ({error.reason}). Check the address, "
            f"or pass the URL of a mirror."
        ) from error
    except OSError as error:  # URLError, refused connections, timeouts
        reason = getattr(error, "reason", error)
        raise DownloadError(
            f"cannot reach {urlparse(url).netloc or url}: {reason}. Are you offline? "
            f"Nothing needs downloading for the course: the kit runs on its embedded "
            f"data. Download only to use the original data sets."
        ) from error

    # Stream the body; a server that ignored Range answers 200 with the whole file.
    with response:
        if offset and response.status != 206:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        received = offset
        with (
            open(part, "ab" if offset else "wb") as out,
            Progress(
                total, dest.name, progress, initial=offset, unit="B", unit_scale=True
            ) as bar,
        ):
            try:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.step(len(chunk))
            except OSError as error:
                raise DownloadError(
                    f"the download of {url} broke off after {received} bytes "
                    f"({error}). The part is kept in {part}: call again to resume."
                ) from error
    if total is not None and received != total:
        raise DownloadError(
            f"the download of {url} ended after {received} of {total} bytes. The part "
            f"is kept in {part}: call again to resume."
        )

    # Verify, then move into place in one step.
    if sha256 is not None:
        digest = _sha256(part)
        if digest != sha256.lower():
            part.unlink()
            raise ChecksumError(
                f"{url} has SHA-256 {digest}, expected {sha256.lower()}; the download "
                f"was deleted. The file on the server may have changed or been "
                f"corrupted on the way: try again, or another mirror."
            )
    os.replace(part, dest)
    return dest


def _sha256(path):
    """Hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def download_coco(
    base_dir=None, url=None, sha256=None, keep_archive=False, progress=True
):
    """Download and unpack the original COCO captioning files; return their folder.

    - base_dir: where the files go; default `data_home() / "coco_captioning"`.
    - url: the archive's address; default the original course's (COCO_CAPTIONING),
      or a mirror's.
    - sha256: the archive's digest if known; without it the archive is not verified.
    - keep_archive: keep the zip next to the folder after unpacking.

    Then point the loader at the folder: load_coco_data(base_dir=...) or the
    environment variable COURSE_LIB_COCO_DIR. The download is about 1 GB.
    """
    folder = Path(base_dir) if base_dir is not None else data_home() / "coco_captioning"
    archive = folder.parent / (folder.name + ".zip")
    fetch(
        url or COCO_CAPTIONING["url"],
        archive,
        sha256=sha256 or COCO_CAPTIONING["sha256"],
        progress=progress,
    )
    unpack_flat(archive, folder, COCO_CAPTIONING["files"])
    if not keep_archive:
        archive.unlink()
    return folder


def unpack_flat(archive, folder, names):
    """Extract the members of a zip whose file names are in `names` into `folder`.

    The archive may hold them at its top or inside a folder; they are written
    directly into `folder` either way. Raises DownloadError if a name is missing.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = {Path(m).name: m for m in zf.namelist() if not m.endswith("/")}
            missing = [name for name in names if name not in members]
            if missing:
                raise DownloadError(
                    f"{archive} lacks {', '.join(missing)}; it holds "
                    f"{sorted(members)}. Is it the COCO captioning archive?"
                )
            for name in names:
                with zf.open(members[name]) as source, open(folder / name, "wb") as out:
                    while block := source.read(1 << 20):
                        out.write(block)
    except zipfile.BadZipFile as error:
        raise DownloadError(
            f"{archive} is not a zip archive ({error}). Delete it and download again."
        ) from error
