"""`serve --ssl-certfile --ssl-keyfile`: HTTPS with a self-signed certificate made here; the
official example runs unchanged against it (requests trusts the certificate through
REQUESTS_CA_BUNDLE, as an operator's client would)."""

import os
import shutil
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from tests.test_server_process import SEED_WORKFLOW, free_port


def self_signed(directory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def tls_server(tmp_path):
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {**os.environ, "AUTOML_API_KEYS": "seed-key:demo", "AUTOML_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--data-dir",
         str(tmp_path / "data"), "--ssl-certfile", cert, "--ssl-keyfile", key],
        env=env, start_new_session=True)
    base = f"https://127.0.0.1:{port}"
    trusting = ssl.create_default_context(cafile=cert)
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/ready", verify=trusting).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server exited at start"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base, cert
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_official_example_over_https(tls_server):
    base, cert = tls_server
    with pytest.raises(httpx.ConnectError):  # self-signed: untrusted without the certificate
        httpx.get(f"{base}/health")
    with pytest.raises(httpx.RemoteProtocolError):  # and no plain HTTP on that port
        httpx.get(base.replace("https", "http") + "/health")
    env = {**os.environ, "AUTOML_BASE_URL": f"{base}/api", "AUTOML_API_KEY": "seed-key",
           "REQUESTS_CA_BUNDLE": cert}
    result = subprocess.run([sys.executable, str(SEED_WORKFLOW)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert float(result.stdout.strip().splitlines()[-1].split()[-1]) > 0.7


def test_one_tls_file_without_the_other_is_refused(tmp_path):
    cert, _ = self_signed(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--data-dir", str(tmp_path / "d"),
         "--ssl-certfile", cert], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--ssl-certfile needs --ssl-keyfile" in result.stderr
