"""Faults for real: the database stopped mid-run, a disk that is full or cannot be written,
a PDF renderer that fails. The app answers each with a clear message, loses nothing, leaves
nothing half-written, and carries on once the fault is gone."""

# ruff: noqa: S603, S607 - the test runs the PostgreSQL tools and mount with fixed arguments
import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from core import accounts, clock, tenancy, twofactor
from core.app import create_app
from core.extensions import db
from core.permissions import public
from core.storage import LocalStorage
from core.vocab import Role
from partnership.models import Partnership
from plans.models import EvidenceFile
from tests.conftest import sign_in
from tests.factories import TEST_TOTP_SECRET

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
UNAVAILABLE = "Sorry, the service is unavailable"


# --- the database goes away ----------------------------------------------------------------


def _pg_bin() -> str | None:
    if os.environ.get("PG_TEST_BIN"):
        return os.environ["PG_TEST_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return found[-1] if found else None


class Cluster:
    """A throwaway PostgreSQL cluster of the test's own, so stopping it disturbs nothing else."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="prevent-outage-"))
        self.as_pg = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._run("initdb", "-D", f"{self.dir}/data", "-U", "app", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        subprocess.run(
            [f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "app", "appdb"], check=True
        )
        self.url = f"postgresql+psycopg://app@127.0.0.1:{self.port}/appdb"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_pg, f"{self.bin}/{program}", *args], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-t", "30", "-o", options, "start")

    def stop(self) -> None:
        # immediate: the server dies as in a crash or a pulled cable, connections and all.
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self.as_pg, f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="PostgreSQL outage and recovery: runs in the PostgreSQL pass of make test (scripts/with-postgres.sh); "
    "an embedded SQLite file cannot go away while the process holds it open",
)
def test_postgresql_stopped_mid_run_gives_503_and_recovers_without_restart(tmp_path):
    cluster = Cluster()
    try:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=cluster.url, UPLOAD_FOLDER=str(tmp_path / "uploads"))

        @app.route("/test-fault/write-then-outage", methods=["POST"], endpoint="test_fault_write")
        @public
        def write_then_outage():
            tenancy.set_scope(tenancy.ALL)  # as a deployment's own job would write a partnership
            db.session.add(Partnership(name="Written while the database died"))
            db.session.flush()  # the row is in an open transaction on the server
            cluster.stop()  # the server is gone before the request's commit, at its end
            return "committed"

        with app.app_context():
            upgrade(revision="heads")
            lead = accounts.create_user(
                email="lead@outage.example",
                full_name="Outage Lead",
                password="x" * 16,
                roles=[Role.PREVENT_LEAD],
                must_change_password=False,
            )
            # A Prevent Lead must use a second factor: set up, as the suite's factories do.
            lead.totp_secret = twofactor.encrypt_secret(TEST_TOTP_SECRET)
            lead.totp_enrolled_at = clock.now()
            db.session.commit()
        client = app.test_client()
        assert sign_in(client, "lead@outage.example", "x" * 16).status_code == 302
        assert client.get("/users").status_code == 200

        cluster.stop()
        for path in ("/users", "/", "/plans"):
            down = client.get(path)
            assert down.status_code == 503, path
            assert UNAVAILABLE in down.get_data(as_text=True)
            assert "Traceback" not in down.get_data(as_text=True)
        assert client.get("/healthz").status_code == 503  # the load balancer sees it too
        cluster.start()
        assert client.get("/healthz").get_json() == {"status": "ok"}
        back = client.get("/users")  # same app, same session: no restart
        assert back.status_code == 200 and "Outage Lead" in back.get_data(as_text=True)

        # Mid-transaction: the row was flushed, then the server died before the commit.
        mid = client.post("/test-fault/write-then-outage")
        assert mid.status_code == 503 and UNAVAILABLE in mid.get_data(as_text=True)
        cluster.start()
        assert client.get("/users").status_code == 200
        with app.app_context():
            died = Partnership.name == "Written while the database died"
            assert db.session.scalar(select(func.count()).select_from(Partnership).where(died)) == 0
            db.session.remove()
            db.engine.dispose()
    finally:
        cluster.remove()


# --- evidence upload when the disk cannot take the file ------------------------------------


def _evidence_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(EvidenceFile))


def _upload(client, world, size: int):
    data = b"%PDF-1.4\n" + b"0" * size
    return client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/evidence",
        data={"file": (io.BytesIO(data), "register.pdf"), "note": "term register"},
        content_type="multipart/form-data",
    )


def _leftovers(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_evidence_upload_to_a_storage_folder_that_cannot_be_created(
    app, client, world, login_as, monkeypatch, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    monkeypatch.setitem(app.extensions, "storage", LocalStorage(blocker / "uploads"))
    login_as(Role.SPOC)
    before = _evidence_count(app)
    response = _upload(client, world, 2000)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The file could not be saved. Try again later; nothing was recorded" in html
    assert _evidence_count(app) == before


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB filesystem with 4 KiB free: writes fail with 'No space left on device'."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here (needs root): {done.stderr.decode().strip()}")
    try:
        (mount / "filler").write_bytes(b"x" * 60 * 1024)  # one 4 KiB page left
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_evidence_upload_to_a_full_disk_records_nothing(app, client, world, login_as, monkeypatch, full_disk):
    monkeypatch.setitem(app.extensions, "storage", LocalStorage(full_disk / "uploads"))
    login_as(Role.SPOC)
    before = _evidence_count(app)
    response = _upload(client, world, 40 * 1024)
    assert response.status_code == 200
    assert "The file could not be saved. Try again later; nothing was recorded" in response.get_data(as_text=True)
    assert _evidence_count(app) == before
    # Not even a partial temporary file is left behind on the full disk.
    assert _leftovers(full_disk / "uploads") == []
    # A file that fits still goes in, and is recorded with its file in place.
    assert _upload(client, world, 1000).status_code == 302
    assert _evidence_count(app) == before + 1
    assert len(_leftovers(full_disk / "uploads")) == 1


def test_pdf_export_to_a_full_disk_leaves_no_file(app, world, full_disk):
    target = full_disk / "plans.pdf"
    result = app.test_cli_runner().invoke(args=["plans", "export", "--format", "pdf", "-o", str(target)])
    assert result.exit_code == 1
    assert "could not write" in result.output and "No space left on device" in result.output
    assert not target.exists() and not (full_disk / "plans.pdf.part").exists()


# --- the PDF renderer fails ----------------------------------------------------------------


@pytest.fixture
def broken_renderer(monkeypatch):
    """WeasyPrint fails inside write_pdf, as it does on a bad font or exhausted memory (a crash
    we cannot cause on demand); everything above it is the real code path."""

    def fail(self, *args, **kwargs):
        raise OSError("cannot load font")

    monkeypatch.setattr("weasyprint.HTML.write_pdf", fail)


def test_a_failed_pdf_render_gives_a_message_not_an_error_page(app, client, world, login_as, broken_renderer):
    login_as(Role.PREVENT_LEAD)
    response = client.get("/plans/export?format=pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "could not be produced" in html and "Nothing was saved" in html
    assert response.mimetype == "text/html"


def test_a_failed_pdf_render_writes_no_file(app, world, broken_renderer, tmp_path):
    target = tmp_path / "plans.pdf"
    result = app.test_cli_runner().invoke(args=["plans", "export", "--format", "pdf", "-o", str(target)])
    assert result.exit_code == 1 and "could not be produced" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_channel_agenda_render_gives_a_message(app, client, world, create, login_as, broken_renderer):
    from tests.channel_panel.factories import PanelMeetingFactory

    meeting = create(PanelMeetingFactory)
    login_as(Role.PANEL_CHAIR)
    response = client.get(f"/channel/meetings/{meeting.id}/agenda.pdf")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Sorry, the document could not be produced" in response.get_data(as_text=True)
