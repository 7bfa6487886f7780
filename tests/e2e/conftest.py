"""Browser end-to-end tests: the real app on a real port, driven by headless Chromium.

Requirements
------------
* The distribution's Chromium. CI installs it with ``apt-get install -y chromium``
  (Debian puts it at /usr/bin/chromium; ``CHROMIUM`` in the environment may point
  elsewhere). Playwright's own browser download (``playwright install``) is never
  used: the system binary is launched through ``executable_path``.
* The Python package ``playwright`` (in the ``test`` extra).

Without either, every test in this directory is skipped, with the reason.

Isolation: the demo data (``incubator.demo.load``) is migrated and loaded once
per run (per xdist worker) into a template SQLite database; each test gets a copy of it
(database and uploaded files) and its own server on a free port, so a test may change data
(a user's language, a failed login counted by the throttle...) without affecting others.

Logged-in pages: the demo accounts in ``LOGGED_IN`` log in once per run, through the real
form, on a server over the template, and their browser state (the session cookie; the
session row is in the template) is kept: ``open_page(as_user=email)`` opens a page of that
account already logged in, on its home page, as ``log_in`` leaves it. Tests about logging
in itself still use ``log_in``.

CSRF protection stays on: the browser submits the real forms with their real tokens.

Every page opened through the fixtures fails the test on a JavaScript error, a
console error (CSP violations are reported there) or a 5xx answer from the server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from incubator import create_app, demo, migrate
from incubator.db import db

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response

HERE = Path(__file__).resolve().parent
DEMO_PASSWORD = demo.DEMO_PASSWORD
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"e2e: the playwright package cannot be imported ({error}); pip install playwright"
    if chromium_path() is None:
        return (
            "e2e: no Chromium binary (looked at $CHROMIUM, /usr/bin/chromium and `chromium` on "
            "PATH); install it with `apt-get install -y chromium`"
        )
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP_REASON is None:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def _passed(request: pytest.FixtureRequest) -> bool:
    """Whether the test itself passed (not failed, not an expected failure)."""
    report = request.node.stash.get(CALL_REPORT, None)
    return report is not None and report.passed and not hasattr(report, "wasxfail")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep the call phase's report, so that fixtures know at teardown how the test went."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


# ------------------------------------------------------------------ the server


@dataclass
class LiveServer:
    url: str
    app: Flask
    logins: dict[str, Path] = field(default_factory=dict)  # see DemoTemplate
    server_errors: list[str] = field(default_factory=list)


def _make_app(directory: Path) -> Flask:
    return create_app(
        "development",
        DATABASE_URL=f"sqlite:///{directory / 'e2e.db'}",
        UPLOAD_DIR=directory / "uploads",
        SECRET_KEY="e2e",
        JOBS_BACKEND="inline",
        MAIL_TRANSPORT="memory",
        SCHEDULER_ENABLED=False,  # the tests call the jobs themselves
    )


# The demo accounts that open_page(as_user=...) opens logged in.
LOGGED_IN = (
    "admin@incubator.test",
    "manager@biic.test",
    "founder@biic.test",
    "mentor@biic.test",
    "judge@biic.test",
    "huynh.tan.phat@demo.test",
    "pham.quoc.bao@demo.test",
)


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 on a free port, in a thread; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="e2e-server"
    )
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()  # joins the request threads
        thread.join(timeout=10)
        executor = app.extensions.get("jobs_executor")
        if executor is not None:
            executor.shutdown(wait=True)
        db.engine(app).dispose()  # closes the last connection: the WAL is checkpointed


@dataclass
class DemoTemplate:
    directory: Path  # the migrated demo database and its uploads
    logins: dict[str, Path]  # email -> its browser state, logged in (Playwright storage_state)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> DemoTemplate:
    """The demo data, built once per run (per xdist worker), with LOGGED_IN logged in."""
    directory = tmp_path_factory.mktemp("e2e-demo")
    app = _make_app(directory)
    try:
        migrate.upgrade(app)
        with app.app_context(), db.transaction():
            demo.load()
    finally:
        db.engine(app).dispose()
    states = tmp_path_factory.mktemp("e2e-logins")
    logins: dict[str, Path] = {}
    app = _make_app(directory)
    with serving(app) as url:
        for email in LOGGED_IN:
            context = browser.new_context(base_url=url, locale="vi-VN")
            try:
                response = log_in(context.new_page(), url, email)
                assert response is not None and response.url == f"{url}/", email
                logins[email] = states / f"{email}.json"
                context.storage_state(path=logins[email])
            finally:
                context.close()
    return DemoTemplate(directory, logins)


@pytest.fixture
def live_server(
    demo_template: DemoTemplate, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The app with its own copy of the demo data, served on 127.0.0.1 on a free port."""
    directory = tmp_path / "server"
    shutil.copytree(demo_template.directory, directory)
    app = _make_app(directory)
    live = LiveServer(url="", app=app, logins=demo_template.logins)

    @app.after_request
    def _record_server_errors(response: Any) -> Any:
        from flask import request as http

        if response.status_code >= 500:
            live.server_errors.append(f"{response.status_code} {http.method} {http.path}")
        return response

    with serving(app) as url:
        live.url = url
        app.config["BASE_URL"] = live.url  # links in emails point at this server
        yield live
    if _passed(request):
        assert not live.server_errors, f"the server answered with errors: {live.server_errors}"


# ----------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:  # the collection hook has skipped already; belt and braces
        pytest.skip(SKIP_REASON or "no Chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserProblems:
    """JavaScript errors, console errors (CSP violations among them) and 5xx responses."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.messages.append(f"JS error on {page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("response", self._response)
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm forms

    def _console(self, page: Page, message: Any) -> None:
        if message.type != "error":
            return
        location = message.location.get("url") or page.url
        self.messages.append(f"console error on {location}: {message.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.messages.append(f"{response.status} from {response.url}")

    def assert_clean(self) -> None:
        problems, self.messages = self.messages, []
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def open_page(
    browser: Browser,
    live_server: LiveServer,
    browser_problems: BrowserProblems,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Page]]:
    """open_page(as_user=None, **context_options) -> a page in a new browser context (own
    cookies); with as_user (an email of LOGGED_IN), logged in as that demo account and on
    its home page, as `log_in` leaves it.

    Contexts speak Vietnamese (Accept-Language vi-VN) and live in Asia/Ho_Chi_Minh,
    like the app's users; `base_url` is the live server, so page.goto("/login") works.
    """
    contexts: list[Any] = []

    def open_(as_user: str | None = None, **options: Any) -> Page:
        settings = {
            "base_url": live_server.url,
            "locale": "vi-VN",
            "timezone_id": "Asia/Ho_Chi_Minh",
            "viewport": DESKTOP,
            **options,
        }
        if as_user is not None:
            settings["storage_state"] = live_server.logins[as_user]
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        browser_problems.watch(page)
        if as_user is not None:
            page.goto("/")
            assert page.locator("#logout").count() == 1, f"{as_user}: the kept login was refused"
        return page

    yield open_
    for context in contexts:
        context.close()
    if _passed(request):
        browser_problems.assert_clean()


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A fresh desktop page in its own browser context."""
    return open_page()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[..., Path]:
    """screenshot(page, name) -> the PNG written under tmp_path/screenshots.

    With E2E_SCREENSHOTS=<dir> in the environment, a copy also goes there (CI artifacts).
    """
    directory = tmp_path / "screenshots"
    directory.mkdir(exist_ok=True)
    keep = os.environ.get("E2E_SCREENSHOTS")

    def take(page: Page, name: str, full_page: bool = True) -> Path:
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take


# ------------------------------------------------------------------- helpers


def log_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> Response | None:
    """Log in through the real form; returns the response of the page landed on."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation() as navigation:
        page.click("form:has(#password) button[type=submit]")
    return navigation.value


def open_menu(page: Page) -> None:
    """On a phone the header menu is folded: unfold it (a no-op where it shows open)."""
    summary = page.locator("#site-menu > summary")
    if summary.count() and summary.is_visible() and not page.locator("#site-menu[open]").count():
        summary.click()


def log_out(page: Page) -> None:
    open_menu(page)
    with page.expect_navigation():
        page.click("#logout")


def switch_language(page: Page, code: str) -> None:
    """Press the header's language button; the page comes back in that language."""
    open_menu(page)
    with page.expect_navigation():
        page.click(f"form.lang-switch button[value={code}]")


# What a phone sees: the layout viewport, the document's width, and the first
# elements that stick out on the right (outside the deliberately scrolling ones).
MEASURE = """(limit) => ({
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    wide: [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > limit + 1)
        .filter(e => !e.closest('.table-wrap, .board'))
        .slice(0, 8)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
             + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
             + ' ' + Math.round(e.getBoundingClientRect().width) + 'px'),
})"""


def open_phone(open_page: Callable[..., Page], as_user: str | None = None) -> Page:
    return open_page(
        as_user=as_user, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


def fits_the_phone(page: Page) -> tuple[bool, dict[str, Any]]:
    """A mobile browser zooms out to show wide content, so the layout viewport must stay
    the phone's width and the document no wider than it."""
    sizes = page.evaluate(MEASURE, PHONE["width"])
    fits = sizes["innerWidth"] == PHONE["width"] and sizes["scrollWidth"] <= PHONE["width"] + 1
    return fits, sizes
