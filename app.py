"""WSGI entry point: `gunicorn -c gunicorn.conf.py app:app`, and FLASK_APP for the `flask` command."""

import sys

from caseflow import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    sys.stderr.write(f"caseflow: cannot start: {exc}\n")
    # 4 is gunicorn's "app failed to load": its arbiter stops instead of respawning workers.
    sys.exit(4)
