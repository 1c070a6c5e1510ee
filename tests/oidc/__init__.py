"""A real OpenID Connect provider for the single sign-on tests: tests/oidc/provider.js, run with Node.

Installed by `make install-test` (npm ci --prefix tests/oidc). Each provider is its own Node
process on a loopback port, stopped when the test session ends.
"""

import html
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.js"
#: The client the script registers for the tracker.
CLIENT_ID = "prevent-tracker"
CLIENT_SECRET = "test-client-secret-not-for-production"  # noqa: S105 - the test provider's  # nosec B105
#: Any password is accepted by the provider's development sign-in page.
PROVIDER_PASSWORD = "any-password"  # noqa: S105  # nosec B105


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OidcProvider:
    """One running provider: its issuer URL, and stop()."""

    def __init__(self, *, name: str, app_url: str, port: int | None = None):
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
            raise RuntimeError("the test OpenID provider is not installed: run `make install-test`")
        self.name = name
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        env = {"PORT": str(self.port), "APP_URL": app_url, "PROVIDER": name}
        # The provider's output goes to a file (a pipe nobody reads could fill and stall it).
        self.log = tempfile.NamedTemporaryFile(prefix=f"oidc-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - a fixed script  # nosec B603
            [node, str(SCRIPT)], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OpenID provider stopped: {Path(self.log.name).read_text()}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the test OpenID provider did not start within 30 s")

    def settings(self, *, label: str, domains: list[str]) -> dict:
        """This provider as one entry of OIDC_PROVIDERS."""
        return {
            "name": self.name,
            "label": label,
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "domains": domains,
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def providers_setting(*entries: dict) -> str:
    return json.dumps(list(entries))


def sign_in_at_provider(authorize_url: str, login: str, *, app_url: str) -> str:
    """Go through the provider's pages as a browser would, signing in as ``login``; returns the URL
    the provider sends the person back to (on the app at ``app_url``)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        if url.startswith(app_url):
            return url
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        if form is None:
            raise AssertionError(f"the provider showed no sign-in form at {url}: {response.status_code}")
        action = urljoin(url, html.unescape(form.group(1)))
        response = browser.post(
            action, data={"prompt": "login", "login": login, "password": PROVIDER_PASSWORD}, allow_redirects=False
        )
        url = urljoin(action, response.headers["Location"])
    raise AssertionError("the provider never sent the browser back to the app")
