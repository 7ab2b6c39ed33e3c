"""The dashboard served by ``streamlit run`` and driven in headless Chromium (Debian package).

Chromium is driven through its DevTools protocol (``--remote-debugging-port``) with the
``websockets`` client Streamlit already depends on. :meth:`Browser.open_page` loads a page and
waits until the app has finished running (Streamlit's status widget gone, the page's own
content present, every chart drawn), then a full-page screenshot can be taken.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.paths import REPO_ROOT
from tests.support.servers import free_port, http_ok, start, stop, wait_until

APP_FILE = REPO_ROOT / "dashboard_ui" / "app.py"
CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=fr-FR",
    "--window-size=1400,1000",
]
WIDTH = 1400

# what the page looks like to the test: text, element counts, errors (one evaluate call)
PAGE_STATE_JS = """
(() => {
  const q = (s) => document.querySelectorAll(s);
  // charts of hidden tabs are drawn when the tab opens: only visible ones count
  const charts = [...q('[data-testid="stVegaLiteChart"]')].filter(c => c.getClientRects().length);
  return {
    text: document.body ? document.body.innerText : '',
    running: q('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"],'
               + ' [data-testid="stStatusWidgetRunningManIcon"]').length,
    skeletons: q('[data-testid="stSkeleton"]').length,
    exceptions: [...q('[data-testid="stException"]')].map(e => e.innerText),
    metrics: [...q('[data-testid="stMetric"]')].map(e => e.innerText),
    charts: charts.length,
    drawn: charts.filter(c => c.querySelector('canvas, svg.marks')).length,
    chart_text: charts.map(c => [...c.querySelectorAll('svg text')].map(t => t.textContent).join('|')),
    chart_aria: charts.map(c => [...c.querySelectorAll('[aria-label], [aria-roledescription]')]
                               .map(e => (e.getAttribute('aria-roledescription') || '') + ':'
                                         + (e.getAttribute('aria-label') || '')).join('|')),
    tables: q('[data-testid="stDataFrame"], [data-testid="stTable"]').length,
    height: Math.max(...[...q('[data-testid="stMain"], [data-testid="stAppViewContainer"],'
                             + ' [data-testid="stMainBlockContainer"]')]
                        .map(e => e.scrollHeight), document.body ? document.body.scrollHeight : 0),
  };
})()
"""


class DevTools:
    """The few DevTools protocol calls the tests need, on one page target."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._ws = connect(ws_url, max_size=None, open_timeout=30)
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv(timeout=120))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply["result"])

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self._ws.close()


@contextmanager
def streamlit_server(env: Mapping[str, str], log_file: Path) -> Iterator[tuple[str, Any]]:
    """``streamlit run dashboard_ui/app.py`` on a free loopback port: ``(url, process)``."""
    port = free_port()
    server = start(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP_FILE),
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--server.fileWatcherType=none",
        ],
        log_file,
        cwd=REPO_ROOT,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/_stcore/health"), "streamlit", 120, server)
        yield url, server
    finally:
        stop(server)


class Browser:
    """Headless Chromium on one tab, pointed at pages of the app."""

    def __init__(self, profile_dir: Path, log_file: Path) -> None:
        assert CHROMIUM is not None
        self._port = free_port()
        self.process = subprocess.Popen(
            [
                str(CHROMIUM),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile_dir}",
                "--remote-debugging-address=127.0.0.1",
                f"--remote-debugging-port={self._port}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log_file.open("wb"),
            start_new_session=True,
        )
        self.devtools = DevTools(wait_until(self._page_target, "chromium", 60, self.process))
        self.devtools.call("Page.enable")

    def _page_target(self) -> str | None:
        with urllib.request.urlopen(f"http://127.0.0.1:{self._port}/json/list", timeout=2) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        return pages[0]["webSocketDebuggerUrl"] if pages else None

    def state(self) -> dict[str, Any]:
        return dict(self.devtools.evaluate(PAGE_STATE_JS) or {})

    def open_page(
        self, url: str, marker: str, timeout_s: float = 240, settle_s: float = 1.5
    ) -> dict[str, Any]:
        """Load ``url`` and wait until the app finished running and ``marker`` is shown."""
        self.devtools.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=1000,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.devtools.call("Page.navigate", url=url)

        def finished() -> dict[str, Any] | None:
            state = self.state()
            done = (
                marker in state.get("text", "")
                and not state.get("running")
                and not state.get("skeletons")
                and state.get("drawn") == state.get("charts")
            )
            return state if done else None

        wait_until(finished, f"page {url}", timeout_s, self.process)
        time.sleep(settle_s)  # a rerun may start right after the first one (widget defaults)
        return dict(wait_until(finished, f"page {url}", timeout_s, self.process))

    def screenshot(self, path: Path) -> Path:
        """A full-page PNG: the window is stretched to the content's height first."""
        height = int(self.state().get("height") or 1000)
        self.devtools.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=min(max(height + 80, 1000), 12000),
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(1.0)  # charts re-layout at the new size
        png = self.devtools.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(png))
        return path

    def html(self) -> str:
        return str(self.devtools.evaluate("document.documentElement.outerHTML"))

    def close(self) -> None:
        try:
            self.devtools.close()
        finally:
            stop(self.process)
