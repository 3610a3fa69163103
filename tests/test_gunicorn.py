"""Caseflow under a real gunicorn (gunicorn.conf.py): a bad configuration stops the master with
one clear line and a non-zero status instead of respawning workers; a good one serves."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = [sys.executable, "-m", "gunicorn"]


def _env(**values):
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "SECRET_KEY", "CASEFLOW_ENV", "TEST_DATABASE_URL", "CHECK_DATABASE_AT_START"}
    }
    return {**base, "GUNICORN_WORKERS": "2", **values}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_bad_configuration_stops_the_master_with_one_line(tmp_path):
    env = _env(CASEFLOW_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    started = time.monotonic()
    result = subprocess.run(
        [*GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{_free_port()}", "app:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4, result.stderr
    ours = [line for line in result.stderr.splitlines() if "caseflow" in line]
    assert ours == [
        "caseflow: cannot start: SECRET_KEY is not set; production refuses to start without it "
        "(generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))')"
    ], result.stderr
    assert "Traceback" not in result.stderr and "Booting worker" not in result.stderr
    assert time.monotonic() - started < 60


def test_a_worker_that_cannot_load_the_app_halts_gunicorn(tmp_path):
    """Without the master's check (an empty config file instead of gunicorn.conf.py), the
    worker's exit status 4 stops the arbiter instead of a respawn loop. One worker: with two,
    gunicorn's arbiter raises a second HaltServer while reaping the other worker that failed
    too, and exits 1 instead of 4 (still a stop, but not the status asserted here)."""
    env = _env(DATABASE_URL="not a url at all")
    empty = tmp_path / "empty.conf.py"
    empty.write_text("")
    result = subprocess.run(
        [
            *GUNICORN,
            "-c",
            str(empty),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{_free_port()}",
            "--no-control-socket",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4, result.stderr
    assert "caseflow: cannot start: DATABASE_URL is not a database URL" in result.stderr
    assert "App failed to load" in result.stderr


def test_a_good_configuration_serves_and_is_ready(database_url):
    port = _free_port()
    env = _env(CASEFLOW_ENV="test", TEST_DATABASE_URL=database_url, DATABASE_URL=database_url)
    server = subprocess.Popen(
        [*GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    assert response.status == 200 and b"ready" in response.read()
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.5)
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert '"GET /readyz HTTP/1.1" 200' in output  # the access log format
