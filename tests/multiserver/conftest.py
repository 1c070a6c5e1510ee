"""One deployment for the several-app-servers tests, started once for the module: its own
PostgreSQL cluster (the app connects as a login role that owns the database and is not a
superuser), an S3-compatible store, an SMTP server, two gunicorn servers of the app and nginx
balancing between them, the demo partnership loaded through `flask demo-data`.

It needs no database of the suite (it takes no ``app`` fixture): `make test` runs it once, in the
SQLite part, and the PostgreSQL part leaves it out (scripts/test-all.sh).
"""

import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import Engine

from tests.multiserver.servers import (
    Gunicorn,
    Inbox,
    Nginx,
    Postgres,
    app_environment,
    flask,
    gunicorns,
    new_secret_key,
    nginx,
    postgres,
    s3_store,
    smtp_server,
)


@dataclass
class Deployment:
    postgres: Postgres
    #: The cluster's superuser: the tests read what is stored with it, whatever the app's role
    #: may see (row-level security does not hide rows from it).
    db: Engine
    s3: dict[str, str]
    inbox: Inbox
    #: The environment every app process of the deployment shares (servers and commands).
    env: dict[str, str]
    a: Gunicorn
    b: Gunicorn
    nginx: Nginx
    tmp: Path
    #: How long each step of starting it took.
    startup: str

    @property
    def servers(self) -> tuple[Gunicorn, Gunicorn]:
        return self.a, self.b

    def upload_folder(self, server: Gunicorn) -> Path:
        return self.tmp / f"uploads-{server.name}"


def server_env(cluster: Postgres, tmp: Path, name: str) -> dict[str, str]:
    """What differs between the servers: a local upload folder each (which S3 storage must
    leave unused), and the name their database connections carry (pg_stat_activity's
    application_name), so a test can tell whose connection is doing what."""
    return {
        "UPLOAD_FOLDER": str(tmp / f"uploads-{name}"),
        "DATABASE_URL": f"{cluster.url}?application_name=server-{name}",
    }


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    began = time.monotonic()
    tmp = tmp_path_factory.mktemp("multiserver")
    with ExitStack() as stack:
        steps = {}
        cluster = stack.enter_context(postgres(tmp))
        steps["postgres"] = time.monotonic()
        s3 = stack.enter_context(s3_store())
        inbox, smtp = stack.enter_context(smtp_server())
        env = app_environment(cluster.url, {**s3, **smtp, "SECRET_KEY": new_secret_key()})
        migrated = flask(["db", "upgrade"], env)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        steps["migrated"] = time.monotonic()
        # The servers boot (imports, workers) while the demo loads; they answer /healthz without it.
        a, b = stack.enter_context(
            gunicorns(["a", "b"], env, tmp, own_env=lambda name: server_env(cluster, tmp, name), wait=False)
        )
        loaded = flask(["demo-data"], env)
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        steps["demo loaded"] = time.monotonic()
        for server in (a, b):
            server.wait_until_up()
        steps["app servers up"] = time.monotonic()
        proxy = stack.enter_context(nginx([a.address, b.address], keep_logs=tmp))
        engine = cluster.admin_engine()
        stack.callback(engine.dispose)
        yield Deployment(
            postgres=cluster,
            db=engine,
            s3=s3,
            inbox=inbox,
            env=env,
            a=a,
            b=b,
            nginx=proxy,
            tmp=tmp,
            startup=", ".join(f"{name} {at - began:.1f} s" for name, at in steps.items()),
        )


@pytest.fixture
def both_up(deployment) -> Deployment:
    """Both app servers serving (a test before may have stopped one), and nginx sending requests
    to both again (it skips a server that failed for its fail_timeout, 2 s)."""
    if deployment.nginx.down:
        deployment.nginx.mark_down(set())
    restarted = [server for server in deployment.servers if not server.running()]
    for server in restarted:
        server.start()
    for server in restarted:
        server.wait_until_up()
        deadline = time.monotonic() + 15
        while True:
            answer = requests.get(f"{deployment.nginx.url}/healthz", timeout=10)
            if answer.headers.get("X-Served-By") == server.address:
                break
            assert time.monotonic() < deadline, f"nginx sent nothing to the restarted {server.name}"
            time.sleep(0.2)
    return deployment
