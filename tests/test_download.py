import hashlib
import http.server
import io
import socket
import threading
import zipfile

import pytest

from course_lib import download
from course_lib.download import ChecksumError, DownloadError, download_coco, fetch

CONTENT = bytes(range(256)) * 40  # 10,240 bytes
DIGEST = hashlib.sha256(CONTENT).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves `files`: /<name> honours Range, /norange/<name> ignores it, and
    /short/<name> announces the whole length but sends only half."""

    files = {}
    log = []  # (path, Range header, bytes sent)

    def do_GET(self):
        mode, _, name = self.path.lstrip("/").rpartition("/")
        body = self.files.get(name)
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        requested = self.headers.get("Range")
        if requested and mode == "":
            start = int(requested.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"
            )
        else:
            self.send_response(200)
        sent = body[start:] if mode != "short" else body[: len(body) // 2]
        self.send_header("Content-Length", str(len(body) - start))
        # Logged before the body goes out, so the client never finishes first.
        self.log.append((self.path, requested, len(sent)))
        self.end_headers()
        self.wfile.write(sent)
        if mode == "short":
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.files = {"data.bin": CONTENT}
    Handler.log = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_full_download_is_verified_and_moved_into_place(server, tmp_path):
    dest = fetch(f"{server}/data.bin", tmp_path / "sub" / "data.bin", sha256=DIGEST)
    assert dest.read_bytes() == CONTENT
    assert not (tmp_path / "sub" / "data.bin.part").exists()
    # A second call finds the verified file and asks the server nothing.
    fetch(f"{server}/data.bin", dest, sha256=DIGEST.upper())
    assert len(Handler.log) == 1


def test_resumes_a_partial_download_with_a_range_request(server, tmp_path):
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(CONTENT[:3000])
    fetch(f"{server}/data.bin", dest, sha256=DIGEST)
    assert dest.read_bytes() == CONTENT
    assert Handler.log == [("/data.bin", "bytes=3000-", len(CONTENT) - 3000)]


def test_server_that_ignores_range_gets_a_full_download(server, tmp_path):
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(b"stale bytes of another file")
    fetch(f"{server}/norange/data.bin", dest, sha256=DIGEST)
    assert dest.read_bytes() == CONTENT
    assert Handler.log[0][1:] == ("bytes=27-", len(CONTENT))


def test_part_longer_than_the_file_starts_over(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(CONTENT + b"extra")
    dest = fetch(f"{server}/data.bin", tmp_path / "data.bin")
    assert dest.read_bytes() == CONTENT


def test_broken_transfer_keeps_the_part_for_the_next_call(server, tmp_path):
    dest = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="resume"):
        fetch(f"{server}/short/data.bin", dest)
    assert (tmp_path / "data.bin.part").stat().st_size == len(CONTENT) // 2
    assert not dest.exists()
    fetch(f"{server}/data.bin", dest, sha256=DIGEST)
    assert Handler.log[-1] == (
        "/data.bin",
        f"bytes={len(CONTENT) // 2}-",
        len(CONTENT) // 2,
    )


def test_checksum_mismatch_deletes_the_download(server, tmp_path):
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as error:
        fetch(f"{server}/data.bin", tmp_path / "data.bin", sha256=wrong)
    assert DIGEST in str(error.value) and wrong in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_reported(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{server}/missing.bin", tmp_path / "missing.bin")
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_suggests_offline(tmp_path):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot reach 127.0.0.1.*offline"):
        fetch(f"http://127.0.0.1:{port}/data.bin", tmp_path / "data.bin")


def test_download_coco_unpacks_the_archive_flat(server, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for name in download.COCO_CAPTIONING["files"]:
            zf.writestr(f"coco_captioning/{name}", name.upper())
        zf.writestr("coco_captioning/README", "not wanted")
    Handler.files["coco.zip"] = archive.getvalue()

    folder = download_coco(tmp_path / "coco", url=f"{server}/coco.zip", progress=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        download.COCO_CAPTIONING["files"]
    )
    assert (folder / "coco2014_vocab.json").read_text() == "COCO2014_VOCAB.JSON"
    assert not (tmp_path / "coco.zip").exists()


def test_download_coco_rejects_an_archive_without_the_files(server, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("other.txt", "x")
    Handler.files["other.zip"] = archive.getvalue()
    with pytest.raises(DownloadError, match="lacks coco2014_captions.h5"):
        download_coco(tmp_path / "coco", url=f"{server}/other.zip")
