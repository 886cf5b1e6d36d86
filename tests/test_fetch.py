"""fetch_cifar10 against archives served on 127.0.0.1: good, tampered, hostile. No internet."""

import hashlib
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from fastlin.datasets import CIFAR10_FILES, CIFAR10_FOLDER, fetch_cifar10, load_cifar10
from tests.test_datasets_cli import write_cifar


def _archive(tmp_path, extra=()):
    """A small CIFAR-10-shaped .tar.gz (bytes) with optional extra (name, bytes) members."""
    root = tmp_path / "src" / CIFAR10_FOLDER
    root.mkdir(parents=True)
    write_cifar(root, n=3)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(root, arcname=CIFAR10_FOLDER)
        for name, data in extra:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def serve():
    """serve(payload) -> URL of ``payload`` on a local HTTP server; counts the requests."""
    servers = []

    def start(payload: bytes):
        class Handler(http.server.BaseHTTPRequestHandler):
            requests = 0

            def do_GET(self):
                type(self).requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        start.handler = Handler
        return f"http://127.0.0.1:{server.server_port}/cifar-10-python.tar.gz"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_fetch_downloads_checks_extracts_and_caches(tmp_path, serve):
    payload = _archive(tmp_path)
    url = serve(payload)
    md5 = hashlib.md5(payload).hexdigest()
    home = tmp_path / "cache"
    folder = fetch_cifar10(home, url=url, md5=md5, progress=False)
    assert folder == home / CIFAR10_FOLDER
    assert sorted(p.name for p in folder.iterdir()) == sorted(CIFAR10_FILES)
    X_train, y_train, X_test, y_test = load_cifar10(folder)
    assert X_train.shape == (15, 32, 32, 3) and X_test.shape == (3, 32, 32, 3)
    # the archive itself loads to the same arrays, read in place
    from_archive = load_cifar10(home / "cifar-10-python.tar.gz")
    for a, b in zip(from_archive, (X_train, y_train, X_test, y_test), strict=True):
        np.testing.assert_array_equal(a, b)
    # a second call is served from the cache: no new request
    assert serve.handler.requests == 1
    assert fetch_cifar10(home, url=url, md5=md5, progress=False) == folder
    assert serve.handler.requests == 1


def test_fetch_uses_fastlin_data_when_no_folder_is_given(tmp_path, serve, monkeypatch):
    payload = _archive(tmp_path)
    monkeypatch.setenv("FASTLIN_DATA", str(tmp_path / "env-cache"))
    folder = fetch_cifar10(url=serve(payload), md5=hashlib.md5(payload).hexdigest(), progress=False)
    assert folder == tmp_path / "env-cache" / CIFAR10_FOLDER


def test_fetch_refuses_a_tampered_download_and_keeps_nothing(tmp_path, serve):
    payload = _archive(tmp_path)
    md5 = hashlib.md5(payload).hexdigest()
    tampered = payload[:-10] + bytes(10)
    home = tmp_path / "cache"
    with pytest.raises(ValueError, match="MD5"):
        fetch_cifar10(home, url=serve(tampered), md5=md5, progress=False)
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("name", ["../escaped.txt", f"{CIFAR10_FOLDER}/../../escaped.txt", "/tmp/absolute.txt"])
def test_fetch_refuses_members_outside_the_folder(tmp_path, serve, name):
    payload = _archive(tmp_path, extra=[(name, b"gotcha")])
    home = tmp_path / "cache"
    with pytest.raises(ValueError, match="outside"):
        fetch_cifar10(home, url=serve(payload), md5=hashlib.md5(payload).hexdigest(), progress=False)
    assert not (tmp_path / "escaped.txt").exists()
    assert not (home / CIFAR10_FOLDER).exists()


def test_fetch_refuses_links(tmp_path, serve):
    root = tmp_path / "src"
    root.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"{CIFAR10_FOLDER}/data_batch_1")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    payload = buf.getvalue()
    with pytest.raises(ValueError, match="link"):
        fetch_cifar10(tmp_path / "cache", url=serve(payload), md5=hashlib.md5(payload).hexdigest(), progress=False)


def test_load_cifar10_refuses_an_archive_that_is_not_cifar(tmp_path):
    bad = tmp_path / "other.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        info = tarfile.TarInfo("readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(ValueError, match="not the CIFAR-10"):
        load_cifar10(bad)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="not a readable"):
        load_cifar10(junk)
