"""Real servers on loopback for the several-app-servers test: a throwaway PostgreSQL cluster, an
S3-compatible store (moto), an SMTP server (aiosmtpd), gunicorn servers of the app and nginx in
front of them. Each starts on a free port found at run time and is stopped (and its files
removed) when its context ends, whatever happened inside.
"""

import asyncio
import email
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import boto3
from aiosmtpd.controller import Controller
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
S3_REGION = "eu-west-2"
S3_KEYS = {"S3_ACCESS_KEY_ID": "multiserver-access-key", "S3_SECRET_ACCESS_KEY": "multiserver-secret-key"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process started in its own session, and everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            os.killpg(process.pid, signal.SIGCONT)  # a stopped (SIGSTOP) group acts on it only then
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- PostgreSQL --------------------------------------------------------------------------------


@dataclass
class Postgres:
    port: int
    #: What the app connects as: ``prevent``, a login role that owns the database and is NOT a
    #: superuser (a superuser would bypass row-level security).
    url: str
    #: The cluster's superuser, for the test's own checks of what is stored.
    admin_url: str

    def admin_engine(self) -> Engine:
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@contextmanager
def postgres(tmp: Path) -> Iterator[Postgres]:
    """A throwaway cluster (as scripts/with-postgres.sh makes one): initdb into a temporary
    folder, started on a free loopback port, run as the ``postgres`` user when we are root."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (install the postgresql package)")
    pgbin = found[-1]
    folder = Path(tempfile.mkdtemp(prefix="prevent-multiserver-pg.", dir="/tmp"))
    as_pg: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    try:
        subprocess.run(  # noqa: S603 - fixed argv
            [*as_pg, str(pgbin / "initdb"), "-D", str(data), "-U", "admin", "--auth=trust", "-E", "UTF8"]
            + ["--locale=C.UTF-8"],
            check=True,
            capture_output=True,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off"
        )
        started = subprocess.run(  # noqa: S603 - fixed argv
            [*as_pg, str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "30"]
            + ["-o", options, "start"],
            capture_output=True,
            text=True,
        )
        if started.returncode:
            log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}{log}")
        cluster = Postgres(
            port=port,
            url=f"postgresql+psycopg://prevent@127.0.0.1:{port}/prevent",
            admin_url=f"postgresql+psycopg://admin@127.0.0.1:{port}/prevent",
        )
        bootstrap = create_engine(f"postgresql+psycopg://admin@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")
        with bootstrap.connect() as conn:
            conn.execute(text("CREATE ROLE prevent LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"))
            conn.execute(text("CREATE DATABASE prevent OWNER prevent"))
        bootstrap.dispose()
        yield cluster
    finally:
        subprocess.run(  # noqa: S603 - fixed argv
            [*as_pg, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


# --- S3 (moto) ---------------------------------------------------------------------------------


@contextmanager
def s3_store() -> Iterator[dict[str, str]]:
    """A moto S3 server on a free loopback port with one new bucket; yields the app's settings
    for it (config.py: STORAGE_BACKEND=s3 and the S3_* variables)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        bucket = f"evidence-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
        yield {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": S3_REGION,
            **S3_KEYS,
        }
    finally:
        server.stop()


# --- SMTP --------------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts.

    With ``pair_up`` set, the first message is held (not answered) until a second arrives on
    another connection: two senders that each got a message through were sending at the same
    time."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.pair_up = False
        self._arrived = 0
        self._second: asyncio.Event | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.pair_up:
            self._arrived += 1
            if self._second is None:
                self._second = asyncio.Event()
            if self._arrived == 1:
                try:
                    await asyncio.wait_for(self._second.wait(), timeout=25)  # below SMTP_TIMEOUT (30)
                except TimeoutError:
                    return "451 No second sender came"
            else:
                self._second.set()
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, dict[str, str]]]:
    """An SMTP server on loopback; yields its inbox and the app's settings for it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_STARTTLS": "0"}
    finally:
        controller.stop()


# --- the app -----------------------------------------------------------------------------------


def app_environment(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """What every app process of one deployment shares: database, SECRET_KEY, storage, the
    proxy setting and the suite's clock (APP_TODAY and APP_CLOCK_STARTED, set by tests/conftest.py,
    so the TOTP codes the test computes match the servers')."""
    env = {k: v for k, v in os.environ.items() if k not in {"TEST_DATABASE_URL", "PYTEST_CURRENT_TEST"}}
    env.update(
        {
            # The development configuration: the production one refuses a fixed clock.
            "APP_ENV": "development",
            "FLASK_APP": "wsgi",
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
            "TRUSTED_PROXIES": "1",
            "SESSION_COOKIE_SECURE": "0",
            "MAIL_FROM": "reminders@prevent.example",
            "APP_BASE_URL": "https://prevent.example",
            **extra,
        }
    )
    return env


def flask(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``flask --app wsgi ARGS`` and return what it did (not checked)."""
    return subprocess.run(  # noqa: S603 - fixed argv
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True, **kwargs
    )


class Gunicorn:
    """One app server: gunicorn serving ``wsgi:app`` with sync workers on its own loopback port,
    in a process group of its own (so a signal reaches the master and every worker). One worker
    by default: each server is its own process either way, and each worker costs a start-up
    (importing the app) every time the server starts."""

    def __init__(self, name: str, env: dict[str, str], tmp: Path, *, workers: int = 1) -> None:
        self.name, self.env, self.workers = name, env, workers
        self.port = free_port()
        self.log = tmp / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        """As nginx names it in $upstream_addr."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> None:
        """Start (again, on the same port); not waited for (wait_until_up)."""
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                [str(BIN / "gunicorn"), "--bind", self.address, "--workers", str(self.workers)]
                + ["--graceful-timeout", "20", "--timeout", "60", "--no-control-socket", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self, timeout: float = 120) -> None:
        _wait_for(f"{self.url}/healthz", self.process, self.log, timeout)

    def send(self, sig: int) -> None:
        """Send ``sig`` to the master and its workers at once."""
        os.killpg(self.process.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Stop it with ``sig`` (SIGTERM: gunicorn's graceful shutdown; SIGKILL: a crash) and
        wait until every process of it has gone."""
        _stop_group(self.process, sig, timeout)

    def waiting_connections(self) -> int:
        """Connections the kernel has accepted for this server that it has not taken yet (its
        listening socket's accept queue, from /proc/net/tcp): how a test knows a request has
        reached a frozen server."""
        local = f"0100007F:{self.port:04X}"
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[3] == "0A":  # LISTEN
                return int(fields[4].split(":")[1], 16)
        return 0

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL we built
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def gunicorns(
    names: list[str],
    env: dict[str, str],
    tmp: Path,
    *,
    own_env=None,
    wait: bool = True,
    timeout: float = 120,
) -> Iterator[list[Gunicorn]]:
    """Several app servers of one deployment, started together (waited for unless ``wait`` is
    False); all stopped at the end, even if a test stopped and restarted one. ``own_env``
    (name -> dict) gives each server settings of its own on top of ``env``."""
    servers = []
    for name in names:
        own = own_env(name) if own_env else {}
        servers.append(Gunicorn(name, {**env, **own}, tmp))
    try:
        for server in servers:
            server.start()
        if wait:
            for server in servers:
                server.wait_until_up(timeout)
        yield servers
    finally:
        # All at once: SIGINT is gunicorn's quick shutdown (no waiting on idle workers).
        running = [server.process for server in servers if server.process is not None]
        for process in running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process in running:
            _stop_group(process, signal.SIGINT)


# --- nginx -------------------------------------------------------------------------------------

#: The address nginx connects to the app servers from (any 127.x address is loopback on Linux);
#: its clients connect from 127.0.0.1.
NGINX_ADDRESS = "127.0.0.2"

NGINX_CONF = """\
error_log stderr notice;
pid {prefix}/nginx.pid;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 25m;

    upstream app {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name prevent.test;

        location / {{
            proxy_pass http://app;
            # On a refused connection, a timeout or a 502 try the other server. A POST (not
            # idempotent) is passed on only if it was never sent to the first: nginx does not
            # repeat a write a server may have made (no "non_idempotent" here).
            proxy_next_upstream error timeout http_502;
            proxy_connect_timeout 2s;
            # From an address of its own, so the app servers can tell nginx from its clients.
            proxy_bind {proxy_address};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Port $server_port;
            # Which app server answered (the test checks both take part).
            add_header X-Served-By $upstream_addr always;
        }}
    }}
}}
"""


class Nginx:
    """nginx as the current user, its configuration, pid, logs and temporary files in a
    temporary prefix, balancing round-robin between the app servers."""

    def __init__(self, upstreams: list[str]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx not found (install the nginx package: scripts/system-packages.sh test)")
        self.binary, self.upstreams = binary, upstreams
        self.prefix = Path(tempfile.mkdtemp(prefix="prevent-multiserver-nginx.", dir="/tmp"))
        # Run by root, nginx's workers run as nobody: they must reach the prefix to write request
        # bodies (uploads) to its client_body folder, which the master makes for them.
        self.prefix.chmod(0o755)
        self.port = free_port()
        self.down: set[str] = set()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    def write_conf(self) -> None:
        servers = "\n".join(
            f"        server {address} max_fails=1 fail_timeout=2s{' down' if address in self.down else ''};"
            for address in self.upstreams
        )
        self.conf.write_text(
            NGINX_CONF.format(prefix=self.prefix, port=self.port, servers=servers, proxy_address=NGINX_ADDRESS)
        )

    def start(self) -> None:
        self.write_conf()
        self._out = open(self.prefix / "stderr.log", "w")  # noqa: SIM115 - closed in stop()
        # -e stderr: as a user other than root nginx must not even try /var/log/nginx/error.log.
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            [self.binary, "-e", "stderr", "-p", str(self.prefix), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen:\n{self.log()}") from None
                time.sleep(0.1)

    def mark_down(self, addresses: set[str]) -> None:
        """Take these servers out of the upstream (``down``), the others back in, and reload:
        what an operator does before stopping a server. Returns once the new worker serves and the
        old one (which finishes what it holds under the old configuration) has exited."""
        self.down = set(addresses)
        self.write_conf()
        exited = self.log().count("exited with code")
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while self.log().count("exited with code") <= exited:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not reload:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        path = self.prefix / "stderr.log"
        return path.read_text() if path.exists() else ""

    def stop(self, keep_logs: Path | None = None) -> None:
        if self.process is not None:
            _stop_group(self.process, signal.SIGQUIT, timeout=10)
            self._out.close()
        if keep_logs is not None:
            for name in ("stderr.log", "access.log"):
                if (self.prefix / name).exists():
                    shutil.copy(self.prefix / name, keep_logs / f"nginx-{name}")
        shutil.rmtree(self.prefix, ignore_errors=True)


@contextmanager
def nginx(upstreams: list[str], *, keep_logs: Path | None = None) -> Iterator[Nginx]:
    """nginx in front of ``upstreams`` (host:port), stopped at the end; its logs are copied to
    ``keep_logs`` then."""
    proxy = Nginx(upstreams)
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop(keep_logs)


def new_secret_key() -> str:
    return secrets.token_urlsafe(32)
