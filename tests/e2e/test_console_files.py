"""The gateway serves the web console's files beside the API, and only files."""

import requests
from nameko.testing.utils import find_free_port

from gateway.console import asset, page


def built_console(folder):
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text('<!doctype html><div id="app"></div>')
    (folder / "assets" / "index-abc123.js").write_text("console.log('一张网')")
    (folder / "favicon.svg").write_text("<svg/>")
    (folder.parent / "secret.txt").write_text("not for the web")
    return folder


def test_pages_assets_and_the_api_side_by_side(container_factory, test_config, tmp_path):
    from gateway.service import GatewayService

    folder = built_console(tmp_path / "dist")
    port = find_free_port()
    config = {**test_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "CONSOLE_DIR": str(folder)}
    config.update(TOKEN_SECRET="test-secret", GATEWAY_SERVICES="grid")
    container_factory(GatewayService, config).start()
    base = f"http://127.0.0.1:{port}"

    # every page path of the console is its index.html; the browser's router takes over
    for path in ("/", "/login", "/office", "/office/appeals", "/h5/appeals/x", "/public/funds/1"):
        response = requests.get(base + path, timeout=10)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-cache"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.text.startswith("<!doctype html>")

    script = requests.get(f"{base}/assets/index-abc123.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in script.headers["Cache-Control"]
    assert script.text == "console.log('一张网')"

    # nothing outside the built folder, and unknown files are a JSON 404 like the API's
    for path in ("/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/nope.js"):
        response = requests.get(base + path, timeout=10)
        assert response.status_code == 404, path
        assert "not for the web" not in response.text
    assert requests.get(f"{base}/assets/nope.js", timeout=10).json()["error"] == "not_found"

    # the API keeps its own answers: JSON 404s and 405s, never the console's page
    missing = requests.get(f"{base}/api/v1/no-such-route", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    other = requests.get(f"{base}/elsewhere", timeout=10)
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    wrong = requests.post(f"{base}/office", timeout=10)
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    health = requests.get(f"{base}/api/v1/openapi.json", timeout=10).json()
    assert not any(p == "/" or p.startswith(("/office", "/assets")) for p in health["paths"])


def test_a_console_not_built_says_so_in_a_page(tmp_path):
    response = page(tmp_path)
    assert response.status_code == 503
    assert "控制台尚未构建" in response.get_data(as_text=True)
    assert asset(tmp_path, "index.js").status_code == 404
