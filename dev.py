#!/usr/bin/env python3
"""Set up, run and test Caseflow with nothing but Python 3.11+ installed.

    python3 dev.py          set up (virtualenv, packages, database, demo district) and run
    python3 dev.py test     run the whole test suite (SQLite; PostgreSQL too when CI=true)

Only the standard library is used here: this script is what makes the rest installable.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".caseflow-installed"
DEFAULT_TEST_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The real OpenID Provider the sign-in tests talk to (npm's oidc-provider, pinned by its lock file).
TEST_PROVIDER = ROOT / "tests" / "oidc" / "provider"
# axe-core, the accessibility engine the browser tests run on every page (pinned by its lock file).
TEST_AXE = ROOT / "tests" / "e2e" / "axe"
# The test-only Node.js packages `python3 dev.py test` installs with `npm ci`: (directory, what).
TEST_NODE_PACKAGES = (
    (TEST_PROVIDER, "the test OpenID Provider"),
    (TEST_AXE, "axe-core for the browser tests"),
)


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args, env: dict | None = None, check: bool = True) -> int:
    merged = {**os.environ, **(env or {})}
    merged = {k: v for k, v in merged.items() if v is not None}  # None removes a variable
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=merged)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def ensure_environment() -> None:
    """Create .venv, install the pinned packages (skipped when pyproject.toml is unchanged) and
    compile the translation catalogs."""
    if sys.version_info < (3, 11):
        sys.exit("Caseflow needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        run(sys.executable, "-m", "venv", VENV)
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    if not (STAMP.exists() and STAMP.read_text() == wanted):
        install_packages(wanted)
    compile_translations()


def install_packages(wanted: str) -> None:
    say("Installing Caseflow and its pinned packages (first run only)")
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-c",
        "constraints.txt",
        "-e",
        ".[dev]",
    )
    STAMP.write_text(wanted)


def compile_translations() -> None:
    """translations/*/LC_MESSAGES/messages.po -> .mo where the .po changed (the repository holds
    only the .po files; the application compiles them at start too, where it may write)."""
    run(PYTHON, "-c", "from caseflow.i18n import compile_catalogs; compile_catalogs()")


def flask(*args, env: dict | None = None, check: bool = True) -> int:
    return run(PYTHON, "-m", "flask", "--app", "app", *args, env=env, check=check)


def cmd_run(options) -> None:
    ensure_environment()
    say("Bringing the database up to date (flask db upgrade)")
    flask("db", "upgrade")
    say("Creating the demo district if it is not there yet")
    flask("demo", "seed", "--if-empty")  # prints the demo logins either way
    say(f"Caseflow is running on http://{options.host}:{options.port}/  (Ctrl-C stops it)")
    flask("run", "--host", options.host, "--port", str(options.port), check=False)


def postgres_reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def ensure_test_node_packages(in_ci: bool) -> None:
    """`npm ci` for each test-only Node.js package set (the test OpenID Provider, axe-core) when
    Node.js is here and its lock file changed.

    Without Node.js the sign-in and browser tests are skipped on a laptop (and fail in CI)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if in_ci:
            say("Node.js is missing: the sign-in and browser tests will fail (install nodejs and npm)")
        else:
            say("Node.js is not installed: the sign-in and browser tests will be skipped")
        return
    for directory, what in TEST_NODE_PACKAGES:
        lock = directory / "package-lock.json"
        stamp = directory / "node_modules" / ".caseflow-installed"
        wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text() == wanted:
            continue
        say(f"Installing {what} (npm ci in {directory.relative_to(ROOT)})")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=directory, check=True)
        stamp.write_text(wanted)


def _workers(pytest_args: list[str]) -> list[str]:
    """Run the suite on every core (pytest-xdist; at most 4 workers, each with its own database),
    unless the command line chooses (-n / -p no:xdist) or CASEFLOW_TEST_WORKERS says how many."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in pytest_args):
        return []
    workers = os.environ.get("CASEFLOW_TEST_WORKERS") or str(min(os.cpu_count() or 1, 4))
    return [] if workers in ("0", "1") else ["-n", workers]


def cmd_test(options) -> None:
    ensure_environment()
    in_ci = os.environ.get("CI", "").lower() == "true"
    ensure_test_node_packages(in_ci)
    pytest_args = ["-m", "pytest", *_workers(options.pytest_args), *options.pytest_args]
    env = {"CASEFLOW_ENV": "test"}
    if shutil.which("chromium") is None and not in_ci:
        say("Chromium is not installed: browser tests will be skipped (apt-get install chromium)")
    if shutil.which("pdftotext") is None and not in_ci:
        say(
            "pdftotext is not installed: the guardian letter (PDF) tests will be skipped "
            "(apt-get install poppler-utils fonts-dejavu-core fonts-noto-core fonts-noto-cjk)"
        )

    say("Test suite on SQLite")
    sqlite_status = run(PYTHON, *pytest_args, env={**env, "TEST_DATABASE_URL": None}, check=False)

    pg_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES)
    pg_status = 0
    if in_ci or options.postgres:
        if not postgres_reachable(pg_url):
            say(f"PostgreSQL is not reachable at {pg_url}")
            pg_status = 1
        else:
            say(f"Test suite on PostgreSQL ({pg_url})")
            pg_status = run(PYTHON, *pytest_args, env={**env, "TEST_DATABASE_URL": pg_url}, check=False)
    else:
        say("PostgreSQL pass skipped (it runs with CI=true, or: python3 dev.py test --postgres)")

    if sqlite_status or pg_status:
        say(f"FAILED (SQLite exit {sqlite_status}, PostgreSQL exit {pg_status})")
        sys.exit(1)
    say("All test passes succeeded")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    run_parser = sub.add_parser("run", help="set up and run on http://127.0.0.1:5000 (the default)")
    for p in (parser, run_parser):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=5000)
    test_parser = sub.add_parser("test", help="run the whole test suite (other options go to pytest)")
    test_parser.add_argument("--postgres", action="store_true", help="also run the suite on PostgreSQL")
    options, extra = parser.parse_known_args()
    if extra and options.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    options.pytest_args = extra  # everything else after `test` goes to pytest
    if options.command == "test":
        cmd_test(options)
    else:
        cmd_run(options)


if __name__ == "__main__":
    main()
