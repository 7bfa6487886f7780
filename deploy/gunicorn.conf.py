"""gunicorn's settings for incubator:
`gunicorn -c deploy/gunicorn.conf.py 'incubator:create_app()'`.

Every value may be changed from the environment (below) or on the command line, which wins
over this file (`-b 0.0.0.0:8000` in a container).
"""

import os
import shutil
import tempfile

# where to listen: behind Caddy or nginx on the same machine, loopback
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# workers from the core count: each serves one request at a time (sync), so that a slow
# report or PDF holds one worker, not the process
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores + 1))
worker_class = "sync"
# a request that takes longer is killed and logged (long reports run as background jobs)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# on SIGTERM (a deploy, `docker stop`), requests under way get this long to finish
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# each worker imports the app itself: no database connection or thread is shared by fork,
# and `kill -HUP` reloads new code
preload_app = False
# a worker is replaced after this many requests (a leak cannot grow for ever)
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200

# the access log on standard output, with the request id the app sends back (X-Request-ID);
# the app's own lines (time, level, process, request id) and gunicorn's go to standard error
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" id=%({x-request-id}o)s'
)
# X-Forwarded-* are read by the app itself (PROXY_COUNT), not by gunicorn
forwarded_allow_ips = "127.0.0.1,::1"

# Prometheus: each worker writes its counters to files in one folder, and /metrics adds them
# up across the workers (prometheus_client's multiprocess mode). The folder is emptied at start.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_own_metrics_dir = not _metrics_dir
if not _metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="incubator-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    """Counters of an earlier run would be added to this one's: start from an empty folder."""
    os.makedirs(_metrics_dir, mode=0o700, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        path = os.path.join(_metrics_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def child_exit(server, worker):
    """A worker that ended: its live gauges stop counting (prometheus_client's cleanup)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The folder this file made is removed when gunicorn stops."""
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
