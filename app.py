"""WSGI entry point: `gunicorn app:app`, and FLASK_APP for the `flask` command."""

import sys

from caseflow import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    sys.stderr.write(f"caseflow: cannot start: {exc}\n")
    sys.exit(1)
