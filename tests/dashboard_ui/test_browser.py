"""End to end: ``streamlit run dashboard_ui/app.py`` loaded in headless Chromium (Debian package).

Chromium is driven through its DevTools protocol (``--remote-debugging-port``) with the
``websockets`` client Streamlit already depends on: the test waits until the app's own content
is in the page (the first script run imports the whole stack, so fixed delays would be flaky),
then saves ``dashboard.png`` and ``dashboard.html`` under the test's output folder.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.servers import free_port, http_ok, stop, wait_until

APP_FILE = REPO_ROOT / "dashboard_ui" / "app.py"
CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
APP_TEXT = "Tableau de bord des données énergétiques françaises"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
]


class DevTools:
    """The few DevTools protocol calls the test needs, on one page target."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._ws = connect(ws_url, max_size=None, open_timeout=30)
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv(timeout=60))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply["result"])

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self._ws.close()


@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (`make browser` installs Debian's package)"
)
def test_dashboard_renders_in_headless_chromium(dashboard_data: Path, tmp_path: Path) -> None:
    output_dir = tmp_path / "output"
    output_dir.mkdir()
    app_port, devtools_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    server_log = output_dir / "streamlit.log"
    with server_log.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP_FILE),
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={app_port}",
                "--server.fileWatcherType=none",
                "--browser.gatherUsageStats=false",
            ],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    browser: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: http_ok(f"{app_url}/_stcore/health"), "streamlit", 120, server)
        browser = subprocess.Popen(
            [
                str(CHROMIUM),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'chromium-profile'}",
                "--remote-debugging-address=127.0.0.1",
                f"--remote-debugging-port={devtools_port}",
                app_url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=(output_dir / "chromium.log").open("wb"),
            start_new_session=True,
        )

        def page_target() -> str | None:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{devtools_port}/json/list", timeout=2
            ) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            return pages[0]["webSocketDebuggerUrl"] if pages else None

        devtools = DevTools(wait_until(page_target, "chromium devtools", 60, browser))
        try:

            def rendered() -> bool:
                text = devtools.evaluate("document.body ? document.body.innerText : ''") or ""
                return APP_TEXT in text and "table meteo_consommation" in text

            wait_until(rendered, "dashboard content", 180, browser)
            title = devtools.evaluate("document.title")
            dom = devtools.evaluate("document.documentElement.outerHTML")
            png = devtools.call("Page.captureScreenshot", format="png")["data"]
        finally:
            devtools.close()
    finally:
        if browser is not None:
            stop(browser)
        stop(server)
    screenshot = output_dir / "dashboard.png"
    screenshot.write_bytes(base64.b64decode(png))
    (output_dir / "dashboard.html").write_text(dom, encoding="utf-8")

    assert title == "EnergieWatch"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'data-testid="stSidebarNav"' in dom
    assert "Prédiction météo" in dom  # the navigation lists the pages
    assert "kedro run --pipeline=" in dom  # nothing trained yet: the home page says what to run
    log_text = server_log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log_text, log_text[-3000:]
