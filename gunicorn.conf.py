"""gunicorn settings for Caseflow: `gunicorn -c gunicorn.conf.py app:app`.

Each can be changed from the environment (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_TIMEOUT)
or on the command line, which wins over this file.

Start-up: the configuration is checked once, in the master, before any worker is forked
(`on_starting`). A bad setting (no SECRET_KEY, a wrong DATABASE_URL, a database that cannot be
reached, an invalid rule file) prints one line, `caseflow: cannot start: ...`, and the master
exits with status 4 ("app failed to load"), so a supervisor sees a failed service instead of
workers respawning forever. A worker that fails to load the app later also exits 4, which
gunicorn's arbiter treats as fatal. Workers do not check the database again at start: one
restarted during a database outage serves 503 answers and reports not ready on /readyz until
the database is back.
"""

import os
import subprocess
import sys

# gunicorn's arbiter halts the whole server when a worker exits with this status.
APP_LOAD_ERROR = 4

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers: each request is short, and the database is the shared resource.
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(2 * (os.cpu_count() or 1) + 1, 8))))
worker_class = "sync"
# A request that takes longer than this is killed with its worker. The database timeouts
# (DB_CONNECT_TIMEOUT_SECONDS, DB_STATEMENT_TIMEOUT_SECONDS, DB_POOL_TIMEOUT_SECONDS) are
# shorter, so a database outage answers 503 before gunicorn has to kill anything.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Workers are replaced now and then, so a slow leak never grows without bound.
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket: nothing is written to $HOME or $XDG_RUNTIME_DIR, and the supervisor
# (systemd, the container runtime) manages the processes with signals.
control_socket_disable = True
# Logs to standard output and error, for the supervisor's journal. The access log has the
# client, the request line, the status, the size, the time taken in milliseconds and the
# user agent; never a request body (student data stays out of the logs).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
# Requests come through the TLS-terminating proxy on this host (see TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Load the app once in a separate process (the master stays free of the app's imports, so
    `kill -HUP` still loads new code): on a bad configuration, exit before forking workers."""
    check = subprocess.run([sys.executable, "-c", "import app"], cwd=server.cfg.chdir, env=os.environ)
    if check.returncode != 0:  # app.py printed the one line already
        sys.exit(APP_LOAD_ERROR)
    # Checked: workers start even while the database is away, and answer 503 until it is back.
    os.environ["CHECK_DATABASE_AT_START"] = "false"
