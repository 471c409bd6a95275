"""Browser tests: the web console in headless Chromium, driven by Playwright.

The suite is started as `make run` starts it (scripts/run_suite.py: migrations,
the demo community, four services and the gateway serving web/dist), on its
own RabbitMQ vhost, its own SQLite files and a free port, and stopped at the
end. Chromium is Debian's (`CHROMIUM`, default /usr/bin/chromium), never a
browser Playwright downloads. Screenshots go to test-artifacts/browser/.

These tests run under plain pytest (`make test` runs them beside the nameko
shards): Playwright's synchronous API must not run under eventlet's monkey
patching, which `nameko test` applies.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from api_client import Api
from nameko.testing.utils import find_free_port
from rabbit_admin import create_vhost, delete_vhost

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AMQP_URI = os.environ.get("YZW_TEST_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
RABBIT_API = os.environ.get("YZW_TEST_RABBIT_API", "http://guest:guest@127.0.0.1:15672")
# what the machine's closed network needs: no calls home, no sandbox as root
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "yizhangwang"
ADMIN, GRID_WORKER, RESIDENT, TREASURER = "13800000001", "13800000002", "13800000003", "13800000004"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def amqp_uri_of(vhost):
    return urlsplit(AMQP_URI)._replace(path="/" + vhost).geturl()


@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    """The whole suite as `make run` runs it; its URL."""
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        pytest.fail("the console is not built: run `make console` (make test does)")
    vhost = f"yzw_browser_{uuid.uuid4().hex[:10]}"
    create_vhost(RABBIT_API, vhost)
    port = find_free_port()
    var = tmp_path_factory.mktemp("suite")
    env = dict(os.environ)
    for name in ("GRID", "APPEALS", "VOLUNTEER", "FUNDING"):
        env.pop(f"{name}_DATABASE_URL", None)
    env.update(
        AMQP_URI=amqp_uri_of(vhost),
        GATEWAY_PORT=str(port),
        YZW_VAR_DIR=str(var),
        TOKEN_SECRET=secrets.token_urlsafe(32),
        PYTHONWARNINGS="ignore",
    )
    log = open(var / "suite.log", "wb")  # noqa: SIM115 - open for the session
    suite = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run_suite.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, suite, var / "suite.log")
        yield url
    finally:
        if suite.poll() is None:
            suite.send_signal(signal.SIGINT)  # run_suite.py stops its children in order
            try:
                suite.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(suite.pid, signal.SIGKILL)
        log.close()
        delete_vhost(RABBIT_API, vhost)


def _wait_healthy(url, suite, log_path, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if suite.poll() is not None:
            pytest.fail(f"the suite exited ({suite.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"the suite was not healthy within {seconds}s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def api(base_url):
    """Logs a demo person in through the API: `api(ADMIN)`."""
    anonymous = Api(f"{base_url}/api/v1")

    def login(phone):
        return anonymous.login(phone, PASSWORD)

    login.anonymous = anonymous
    return login


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Screen:
    """One browser page of a test, its errors, and its screenshots."""

    def __init__(self, page, base_url, name):
        self.page = page
        self.base_url = base_url
        self.name = name
        self.errors = []
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message):
        # a refused API call is logged by Chromium as a failed resource; the page shows it
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")

    def open(self, path):
        self.page.goto(self.base_url + path)

    def shot(self, label):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(300)  # let charts and transitions settle
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, path, phone):
        self.open(path)
        self.page.fill("input[name=phone]", phone)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def screen(browser, base_url, request):
    """A fresh browser context (no login) at desktop size; `screen.page` is Playwright's."""
    contexts = []

    def make(viewport=DESKTOP, mobile=False, name=None):
        context = browser.new_context(
            viewport=viewport,
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return Screen(context.new_page(), base_url, name or request.node.name)

    yield make
    for context in contexts:
        if getattr(request.node, "failed_call", False):
            for number, page in enumerate(context.pages):  # what the browser showed at the end
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed-{number}.png"))
        context.close()
