"""Throughput of the key pages under gunicorn, against a bare Flask app served the same way.

    PYTHONPATH=$PWD .venv/bin/python bench/load.py [--size 10000] [--duration 5]
        [--threads 2] [--connections 8] [--workers 4]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/bench_load] [--no-page-cache]

Needs `wrk` (Debian: `apt-get install -y wrk`); without it the script says so and
stops. It seeds --size applications with bench/page_queries.py's seed (into a
temporary SQLite file, or the EMPTY database given by --database-url, which is
migrated back down at the end), then serves `incubator:create_app()` with
`gunicorn -w 4` bound to 127.0.0.1 on a free port, in production configuration
(INCUBATOR_CONFIG=production, SECRET_KEY, DATABASE_URL, BASE_URL, MAIL_BACKEND=log; nothing else
changed).

Each role logs in through the login form, as a browser would: GET /login for the
CSRF token and the session cookie, POST /login, keep the new session cookie.
Production session cookies are `Secure`, which a browser would not send over
plain http; wrk is simply given the cookie in a `Cookie:` header, with the same
User-Agent as at login (Flask-Login's strong session protection binds the
session to address and User-Agent). Each key page is first requested once and
must answer 200, is requested once more per worker in parallel (warm-up), then,
once the workers are idle, loaded with wrk for --duration seconds; a wrk Lua script
counts every response that is not a 200 (a redirect to the login page would be
fast and wrong) and the table shows them. Then, in turn, a bare Flask hello-world
(bench/hello_app.py) is served by the same gunicorn settings and loaded the same
way. The table gives requests/s, p50 and p99 latency, and the ratio of each
page's requests/s to the bare app's (target of issue 8: >= 0.15).

wrk asks for the same page with the same session again and again, so with the page cache
on (the default) it measures a page served from the cache: what a reader pays while nothing
it shows changed. --no-page-cache (PAGE_CACHE_SECONDS=0) measures every request building
its page, what it costs right after a write.

wrk runs on the same machine as gunicorn and takes some of its CPU; the ratio to
the bare app, measured in the same conditions, is the figure to compare.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from page_queries import PASSWORD, csrf_token, key_pages, production_app, seed

from incubator import migrate
from incubator.db import db

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
TARGET_RATIO = 0.15

# Counts responses that are not 200 in every wrk thread; done() prints them with the figures.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = {} end
function response(status, headers, body)
  if status ~= 200 then non200[status] = (non200[status] or 0) + 1 end
end
function done(summary, latency, requests)
  local total, parts = 0, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("non200")) do
      total = total + n
      table.insert(parts, status .. "x" .. n)
    end
  end
  local e = summary.errors
  print(string.format("BENCH %d %d %d %d %d %d %d %s", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, total, table.concat(parts, ",")))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def gunicorn(
    app: str, env: dict[str, str], cwd: Path, workers: int, log: Path
) -> Iterator[tuple[int, int]]:
    """Serve `app` on a free loopback port; (port, process group). The group is always killed."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"{HOST}:{port}",
        app,
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=cwd, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
            try:
                if get(port, "/", {})[0] < 500:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s:\n{_tail(log)}")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cpu_ticks(group: int) -> int:
    """CPU time (clock ticks) used so far by the processes of a process group (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total


def wait_idle(group: int, limit: float = 60) -> None:
    """Wait until gunicorn's workers stop using CPU: requests still running when wrk
    stopped would otherwise steal the next page's workers."""
    deadline = time.monotonic() + limit
    before = _cpu_ticks(group)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = _cpu_ticks(group)
        if after - before <= 2:
            return
        before = after


def warm_up(port: int, path: str, cookie: str, workers: int) -> None:
    """One request per worker, in parallel, so that wrk does not time first requests."""

    def one(_n: int) -> None:
        # a worker killed by gunicorn's timeout closes the connection; wrk will count it
        with contextlib.suppress(OSError, http.client.HTTPException):
            get(port, path, {"Cookie": cookie})

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(workers)))


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, Any, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, Any, str]:
    return request(port, "GET", path, headers)


def session_cookie(headers: Any, previous: str = "") -> str:
    cookie = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        cookie.load(header)
    return cookie["session"].value if "session" in cookie else previous


def log_in(port: int, email: str) -> str:
    """The session cookie ("session=...") of `email`, logged in through the form."""
    status, headers, html = get(port, "/login", {})
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    cookie = session_cookie(headers)
    form = {"csrf_token": csrf_token(html), "email": email, "password": PASSWORD, "next": ""}
    status, headers, _body = request(
        port,
        "POST",
        "/login",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"},
        urllib.parse.urlencode(form),
    )
    if status != 302 or urllib.parse.urlsplit(headers.get("Location", "")).path != "/":
        raise RuntimeError(f"login of {email} answered {status} {headers.get('Location')}")
    return f"session={session_cookie(headers, cookie)}"


def run_wrk(wrk: str, port: int, path: str, cookie: str, args: Any, script: Path) -> dict[str, Any]:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://{HOST}:{port}{path}")
    output = subprocess.run(  # noqa: S603 (wrk found on PATH, our arguments)
        command, capture_output=True, text=True, check=True, timeout=args.duration + 60
    ).stdout
    line = next(ln for ln in output.splitlines() if ln.startswith("BENCH "))
    fields = line.split(" ")
    requests, duration_us, p50_us, p99_us, max_us, socket_errors, non200 = map(int, fields[1:8])
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": p50_us / 1000,
        "p99": p99_us / 1000,
        "max": max_us / 1000,
        "socket_errors": socket_errors,
        "non200": non200,
        "statuses": fields[8] if len(fields) > 8 else "",
        "requests": requests,
    }


def print_table(results: dict[str, dict[str, Any]], bare: dict[str, Any], args: Any) -> None:
    print(
        f"\ngunicorn -w {args.workers} (sync), production config, {args.size:,} applications; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, loopback; "
        + ("page cache off" if args.no_page_cache else "pages from the page cache")
    )
    header = (
        f"{'page':24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}"
        f"{'requests':>10}{'non-200':>9}  target"
    )
    print(header)
    print("-" * len(header))
    rows = [*results.items(), ("bare Flask hello-world", bare)]
    for name, r in rows:
        if "error" in r:
            print(f"{name:24}  {r['error']}")
            continue
        ratio = r["rps"] / bare["rps"] if bare.get("rps") else float("nan")
        bad = r["non200"] + r["socket_errors"]
        if name == "bare Flask hello-world":
            verdict = ""
        elif bad:
            verdict = "INVALID"
        else:
            verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        non200 = str(r["non200"]) + (f" ({r['statuses']})" if r["statuses"] else "")
        if r["socket_errors"]:
            non200 += f" +{r['socket_errors']} socket errors"
        # no latency when no response came back within the run
        latency = f"{r['p50']:>9.1f}{r['p99']:>9.1f}" if r["requests"] else f"{'-':>9}{'-':>9}"
        print(
            f"{name:24}{r['rps']:>9.1f}{latency}{ratio:>9.3f}"
            f"{r['requests']:>10}{non200:>9}  {verdict}"
        )
    print(f"target: req/s >= {TARGET_RATIO} x bare Flask's, every response a 200")
    print("(0 requests: no response came back within the run; the page takes longer than that)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000, help="applications to seed")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per page")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database (default: a temp SQLite file)"
    )
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="PAGE_CACHE_SECONDS=0: every request builds its page (as after every write)",
    )
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("SKIPPED: wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)")
        return

    folder = Path(tempfile.mkdtemp(prefix="incubator-load-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    app = production_app(url, folder)  # also sets DATABASE_URL and UPLOAD_DIR in os.environ
    env = {**os.environ, "INCUBATOR_CONFIG": "production", "PYTHONPATH": str(ROOT)}
    if args.no_page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    script = folder / "non200.lua"
    script.write_text(WRK_SCRIPT)
    log = folder / "gunicorn.log"
    results: dict[str, dict[str, Any]] = {}
    bare: dict[str, Any] = {}
    try:
        migrate.upgrade(app)
        started = time.perf_counter()
        ids = seed(app, args.size)
        print(f"{args.size:,} applications seeded in {time.perf_counter() - started:.1f} s")
        db.engine(app).dispose()
        pages = key_pages(ids)
        with gunicorn("incubator:create_app()", env, ROOT, args.workers, log) as (port, group):
            cookies = {email: log_in(port, email) for email, _path in pages.values()}
            for name, (email, path) in pages.items():
                wait_idle(group)
                try:
                    status, headers, _body = get(port, path, {"Cookie": cookies[email]})
                except (OSError, http.client.HTTPException) as error:
                    results[name] = {"error": f"GET {path} failed ({error!r}); not loaded"}
                    continue
                if status != 200:
                    where = headers.get("Location", "")
                    results[name] = {"error": f"GET {path} answered {status} {where}; not loaded"}
                    continue
                warm_up(port, path, cookies[email], args.workers)
                wait_idle(group)
                results[name] = run_wrk(wrk, port, path, cookies[email], args, script)
                print(f"  {name}: {results[name]['rps']:.1f} req/s", flush=True)
        bare_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        with gunicorn("hello_app:app", bare_env, BENCH, args.workers, log) as (port, group):
            warm_up(port, "/", "", args.workers)
            wait_idle(group)
            bare = run_wrk(wrk, port, "/", "", args, script)
            print(f"  bare Flask: {bare['rps']:.1f} req/s", flush=True)
    finally:
        if args.database_url:
            db.engine(app).dispose()
            migrate.downgrade(app, "base")
        db.engine(app).dispose()
        shutil.rmtree(folder, ignore_errors=True)
    print_table(results, bare, args)


if __name__ == "__main__":
    main()
