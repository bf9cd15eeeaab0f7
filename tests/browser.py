"""A real headless Chromium driven through the DevTools protocol, for tests that check what
a page renders (boxes, visible text, console errors, network requests), not its HTML text.

Debian's `chromium` is installed by scripts/test; a test that needs it fails when it is
missing. The protocol runs over the browser's debugging WebSocket (websocket-client, which
the kubernetes client already depends on).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# What Chromium needs in a container: no setuid sandbox, no GPU, /dev/shm is small.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
START_TIMEOUT = 30.0


def chromium_path() -> str | None:
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


class Browser:
    """One headless Chromium; `open(path)` loads a page in a fresh tab and returns it."""

    def __init__(self, executable: str) -> None:
        self._profile = tempfile.TemporaryDirectory(
            prefix="triage-chromium-", ignore_cleanup_errors=True
        )
        # its own process group: the renderer and GPU processes go with the browser
        self._process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.port = self._wait_for_port(Path(self._profile.name) / "DevToolsActivePort")

    def _wait_for_port(self, active: Path) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self._process.returncode}")
            text = active.read_text() if active.exists() else ""
            if "\n" in text:
                return int(text.split("\n", 1)[0])
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port")

    def _http(self, path: str, *, method: str = "GET") -> Any:
        import urllib.request

        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return json.loads(response.read())

    def open(self, page: Path) -> Page:
        target = self._http("/json/new?about:blank", method="PUT")
        tab = Page(target["webSocketDebuggerUrl"])
        tab.load(page.resolve().as_uri())
        return tab

    def close(self) -> None:
        self._signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._process.wait()
        self._signal(signal.SIGKILL)  # a child still writing into the profile
        self._profile.cleanup()

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)  # the group this Browser started


class Page:
    """A tab: what it requested, what it logged, and `evaluate` in it."""

    def __init__(self, url: str) -> None:
        self._ws = websocket.create_connection(url, timeout=20, suppress_origin=True)
        self._next = 0
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.loaded = False
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        mine = self._next
        self._ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == mine:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _receive(self) -> dict[str, Any]:
        message = json.loads(self._ws.recv())
        method, params = message.get("method"), message.get("params", {})
        if method == "Page.loadEventFired":
            self.loaded = True
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", "")) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        return message

    def load(self, url: str) -> None:
        self.loaded = False
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 20
        while not self.loaded:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not load")
            self._receive()

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self._ws.close()
