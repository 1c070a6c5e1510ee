"""Several app servers, for real: PostgreSQL, an S3-compatible store, two gunicorn servers of the
app and nginx balancing between them (tests/multiserver/conftest.py), driven through nginx (or
straight at one server, where a test says so) with a real HTTP client, as people use the pages:

- a session signed in through nginx is signed in on both servers (signed cookies, no server state),
  signing out on one ends it on both, and wrong passwords on both count together;
- evidence uploaded through one server downloads, byte for byte, from the other (S3, no local files);
- a plan updated from a spreadsheet is uploaded, checked and applied on different servers;
- a write on one server is seen at once on the other;
- `flask reminders send` run twice at the same time sends each due reminder once;
- a server that dies with requests in it: nginx sends a GET on to the other server, and
  answers a POST with 502 (the client may send it again: the row version stops a double save);
  one that dies inside a save leaves nothing of it stored;
- a server stopped mid-run (SIGTERM; SIGKILL; drained from nginx first) loses nothing: each
  update is stored exactly once, nginx goes on answering from the other server, and a write cut
  off with its server is reported to the client (502), never silently dropped.

The database is read only to check what was stored, as the cluster's superuser.
Demo users: the SPOC priya.natarajan@cambridgeshire.example (Education; no two-factor), the
Prevent Lead helen.marsh@cambridgeshire.example (two-factor, the demo's published key) and the
board member margaret.hughes@peterborough.example.
"""

import csv
import io
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import boto3
import pyotp
import pytest
import requests
from sqlalchemy import create_engine, text

from core import clock
from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.multiserver.servers import BIN, ROOT, Gunicorn

LEAD = "helen.marsh@cambridgeshire.example"
SPOC = "priya.natarajan@cambridgeshire.example"
BOARD_MEMBER = "margaret.hughes@peterborough.example"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')
#: Bytes of every value, so nothing is lost to an encoding on the way through.
EVIDENCE = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


class Browser:
    """One person's browser: a cookie jar, sending each request to nginx unless told a server.
    Redirects are not followed, so each answer is checked as it comes (and says who served it)."""

    def __init__(self, base: str, cookies=None) -> None:
        self.base = base
        self.session = requests.Session()
        if cookies is not None:
            self.session.cookies.update(cookies)

    def clone(self) -> "Browser":
        """Another tab of the same browser (its own connection, the same cookies)."""
        return Browser(self.base, self.session.cookies)

    def get(self, path: str, *, base: str | None = None) -> requests.Response:
        return self.session.get((base or self.base) + path, allow_redirects=False, timeout=60)

    def post(self, path: str, data: dict, *, files=None, base: str | None = None) -> requests.Response:
        return self.session.post((base or self.base) + path, data=data, files=files, allow_redirects=False, timeout=60)


def served_by(response: requests.Response) -> str:
    """The app server(s) nginx tried, in order ("127.0.0.1:A, 127.0.0.1:B" when it moved on)."""
    return response.headers["X-Served-By"]


def csrf(page: requests.Response) -> str:
    match = _CSRF.search(page.text)
    assert match, f"no CSRF token on {page.url}"
    return match.group(1)


def sign_in(browser: Browser, email: str, *, secret: str | None = None) -> list[requests.Response]:
    """Sign in with the demo password, and the code an authenticator with ``secret`` shows now
    (by the app's clock: the servers run with the suite's APP_TODAY and APP_CLOCK_STARTED)."""
    page = browser.get("/login")
    answers = [page, browser.post("/login", {"csrf_token": csrf(page), "email": email, "password": DEMO_PASSWORD})]
    assert answers[-1].status_code == 302, answers[-1].text[:500]
    if answers[-1].headers["Location"].startswith("/login/two-factor"):
        assert secret, f"{email} was asked for a code"
        page = browser.get("/login/two-factor")
        code = pyotp.TOTP(secret).at(clock.now())
        answers += [page, browser.post("/login/two-factor", {"csrf_token": csrf(page), "code": code})]
        assert answers[-1].status_code == 302, answers[-1].text[:500]
    assert answers[-1].headers["Location"] == "/"
    return answers


def words_of(page: requests.Response) -> str:
    """The page's text as a person reads it: tags dropped, white space made single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


def signed_in_as(response: requests.Response, name: str) -> bool:
    return response.status_code == 200 and name in response.text and "Sign out" in response.text


def spoc_rows(browser: Browser) -> list[str]:
    """The SPOC's own plan, as she finds it (the first "Update" link on her home page), and the
    paths of its rows' pages (each row's "Update" link leads to its page's form) in the order
    the plan page lists them."""
    home = browser.get("/")
    plan_id = re.search(r'href="/plans/(\d+)/rows/\d+/progress"', home.text).group(1)
    plan = browser.get(f"/plans/{plan_id}")
    assert plan.status_code == 200
    rows = list(dict.fromkeys(re.findall(rf'href="(/plans/{plan_id}/rows/\d+)/progress"', plan.text)))
    assert len(rows) >= 7, rows
    return rows


def progress_form(page: requests.Response, items: str) -> dict:
    """The row page's progress form filled in: the update's text, Green (no reason needed) and
    the row version the page showed (a save based on an older version is refused, 409)."""
    return {
        "csrf_token": csrf(page),
        "version": _VERSION.search(page.text).group(1),
        "items": items,
        "rag": "green",
        "reason": "",
        "evidence_note": "",
    }


def stored_updates(deployment, texts: list[str], *, addresses: set | None = None) -> Counter:
    """How many progress entries and audit entries hold each text, as stored; ``addresses``
    (if given) gets the client address each of those audit entries recorded."""
    with deployment.db.connect() as conn:
        entries = conn.execute(text("SELECT id, items FROM progress_updates")).all()
        audited: dict[int, list[str]] = {}
        for entity_id, ip in conn.execute(
            text("SELECT entity_id, ip FROM audit_entries WHERE entity = 'progress_updates' AND action = 'insert'")
        ):
            audited.setdefault(entity_id, []).append(ip)
    found = Counter()
    for entry_id, items in entries:
        for item in items:
            if item in texts:
                found[("update", item)] += 1
                found[("audit", item)] += len(audited.get(entry_id, []))
                if addresses is not None:
                    addresses.update(audited.get(entry_id, []))
    return found


@pytest.fixture(scope="module")
def spoc(deployment) -> Browser:
    browser = Browser(deployment.nginx.url)
    sign_in(browser, SPOC)
    return browser


# --- 1. one session, both servers ----------------------------------------------------------------


def test_a_session_signed_in_through_nginx_is_signed_in_on_both_servers(deployment):
    a, b = deployment.servers
    print(f"\nMULTISERVER deployment started: {deployment.startup}")
    browser = Browser(deployment.nginx.url)
    steps = sign_in(browser, LEAD, secret=DEMO_TOTP_SECRET)
    # Password and code pages: four requests, handed round-robin to the two servers in turn, so
    # the half-way state (password right, code to come) travelled in the signed cookie from the
    # server that checked the password to the other, which showed the code page.
    assert [r.request.path_url for r in steps] == ["/login", "/login", "/login/two-factor", "/login/two-factor"]
    assert {served_by(r) for r in steps} == {a.address, b.address}
    assert served_by(steps[1]) != served_by(steps[2])

    answered = set()
    for _ in range(4):
        home = browser.get("/")
        assert signed_in_as(home, "Helen Marsh"), home.status_code
        answered.add(served_by(home))
    assert answered == {a.address, b.address}
    # The same cookie straight to each server, without nginx.
    for server in (a, b):
        assert signed_in_as(browser.get("/", base=server.url), "Helen Marsh")
        # A browser without it is sent to sign in.
        assert (
            requests.get(server.url + "/", allow_redirects=False, timeout=30).headers["Location"].startswith("/login")
        )


def test_signing_out_on_one_server_ends_the_session_on_the_other(deployment):
    """A copy of the session cookie taken before sign-out (another tab, or a stolen copy) is
    refused by every server once the person has signed out on any one of them: the sign-out is
    recorded in the database, not in the server that saw it."""
    a, b = deployment.servers
    browser = Browser(deployment.nginx.url)
    sign_in(browser, BOARD_MEMBER)
    copy = browser.clone()
    for server in (a, b):
        assert signed_in_as(copy.get("/", base=server.url), "Margaret Hughes")
    page = browser.get("/", base=a.url)
    assert browser.post("/logout", {"csrf_token": csrf(page)}, base=a.url).status_code == 302
    for server in (a, b):
        refused = copy.get("/", base=server.url)
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")


def test_wrong_passwords_on_both_servers_count_together(deployment):
    """Six wrong passwords for one email, handed to the two servers in turn by nginx: the limit
    (LOGIN_MAX_FAILURES, 5) is counted in the database, so the fifth, wherever it lands, locks
    the email for this client, and the sixth is refused unchecked."""
    a, b = deployment.servers
    browser = Browser(deployment.nginx.url)
    token = csrf(browser.get("/login"))  # one form's token, good on both servers
    attempt = {"csrf_token": token, "email": "nobody@council.example"}
    answers = [browser.post("/login", {**attempt, "password": f"Wrong-{n}"}) for n in range(6)]
    servers = [served_by(answer) for answer in answers]
    assert set(servers) == {a.address, b.address}
    assert all(one != next_one for one, next_one in zip(servers, servers[1:], strict=False))  # in turn
    said = [
        "wrong"
        if "Enter a correct email address and password" in words_of(answer)
        else "locked"
        if "Too many attempts to sign in with this email address" in words_of(answer)
        else answer.status_code
        for answer in answers
    ]
    assert said == ["wrong"] * 4 + ["locked"] * 2


# --- 4. reminders run on both at once --------------------------------------------------------------

#: Worked out by hand from the demo (its clock on 16 November 2026) for a run on 1 December 2026:
#: the two reminders the demo's log records as failed (the daily run "lost the mail server"),
#: which a run retries; and "update your plan" for each SPOC or deputy with a stale or overdue
#: row, because the board meets on 4 December (16 November + 18 days), within 14 days. Those are
#: Education (Daniel Okafor, Priya Natarajan, deputy Tom Baxter), Children's social care (Fiona
#: Reid), MET Hub (Sophie Turner) and Health (Ruth Evans). The training coordinator's monthly
#: refresher digest is due too, but she has switched it off: logged, not sent.
REMINDERS_ON = "2026-12-01"
PLAN_UPDATE = "Update your Prevent plan before the board on 4 December 2026"
EXPECTED_REMINDERS = Counter(
    {
        ("joanna.price@peterborough.example", "Post-closure review due: case CP-2025-004 (6 months)"): 1,
        (LEAD, "Board membership review is due on 16 December 2026"): 1,
        ("daniel.okafor@peterborough.example", PLAN_UPDATE): 1,
        (SPOC, PLAN_UPDATE): 1,
        ("tom.baxter@peterborough.example", PLAN_UPDATE): 1,
        ("fiona.reid@peterborough.example", PLAN_UPDATE): 1,
        ("sophie.turner@peterborough.example", PLAN_UPDATE): 1,
        ("ruth.evans@ccg.example", PLAN_UPDATE): 1,
    }
)


def test_reminders_run_on_two_hosts_at_once_send_each_reminder_once(deployment):
    """Two `flask reminders send` processes at the same moment, as cron on both app hosts would
    start them, against one database. The mail relay holds the first message until a second
    comes from the other run, so the two are sending at the same time (whichever starts first)."""
    with deployment.db.connect() as conn:
        logged_before, last_id = conn.execute(text("SELECT count(*), max(id) FROM reminder_log")).one()
    deployment.inbox.pair_up = True
    try:
        runs = [
            subprocess.Popen(  # noqa: S603 - fixed argv
                [str(BIN / "flask"), "--app", "wsgi", "reminders", "send", "--today", REMINDERS_ON],
                cwd=ROOT,
                env=deployment.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        deployment.inbox.pair_up = False
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-2000:]
    sent = [int(re.search(r"(\d+) sent", out).group(1)) for out, _ in outputs]
    print(f"\nMULTISERVER reminders: the two runs sent {sent[0]} and {sent[1]}")

    received = Counter((m["To"], m["Subject"]) for m in deployment.inbox.messages)
    assert received == EXPECTED_REMINDERS  # every one, each once
    assert sum(sent) == len(EXPECTED_REMINDERS)
    assert min(sent) >= 1  # both ran, at the same time
    with deployment.db.connect() as conn:
        keys = Counter(conn.execute(text("SELECT dedupe_key FROM reminder_log")).scalars())
        statuses = Counter(
            conn.execute(text("SELECT status FROM reminder_log WHERE id > :last"), {"last": last_id}).scalars().all()
        )
        sent_entries = Counter(
            conn.execute(
                text("SELECT recipient, subject FROM reminder_log WHERE status = 'sent' AND attempts >= 1")
            ).all()
        )
    assert max(keys.values()) == 1  # no reminder logged twice
    # Six plan updates and the switched-off digest are new in the log; the two failed are sent now.
    assert sum(keys.values()) == logged_before + 7
    assert statuses == Counter({"sent": 6, "opted_out": 1})
    for key in EXPECTED_REMINDERS:
        assert sent_entries[key] == 1


# --- 2. evidence through one server, from the other ---------------------------------------------


def test_evidence_uploaded_through_one_server_downloads_from_the_other(deployment, both_up, spoc):
    a, b = deployment.servers
    row = spoc_rows(spoc)[0]
    filename = f"register-{uuid.uuid4().hex[:8]}.pdf"
    form = spoc.get(f"{row}/evidence")
    assert form.status_code == 200
    uploaded = spoc.post(
        f"{row}/evidence",
        {"csrf_token": csrf(form), "note": "Training register"},
        files={"file": (filename, EVIDENCE, "application/pdf")},
    )
    assert uploaded.status_code == 302 and uploaded.headers["Location"] == row
    uploader = served_by(uploaded)
    other = b if uploader == a.address else a
    assert uploader in {a.address, b.address}

    page = spoc.get(row)
    link = re.search(rf'href="(/plans/\d+/evidence/\d+)"[^>]*>\s*{re.escape(filename)}', page.text).group(1)
    # Through nginx until the other server answers (round-robin: the next request or the one after).
    for _ in range(4):
        download = spoc.get(link)
        if served_by(download) == other.address:
            break
    assert served_by(download) == other.address
    assert download.status_code == 200 and download.content == EVIDENCE
    assert filename in download.headers["Content-Disposition"]
    # And straight from the other server's port.
    direct = spoc.get(link, base=other.url)
    assert direct.status_code == 200 and direct.content == EVIDENCE

    # The bytes are in the shared bucket, and on neither server's disk.
    s3 = deployment.s3
    bucket = boto3.client(
        "s3",
        endpoint_url=s3["S3_ENDPOINT_URL"],
        region_name=s3["S3_REGION"],
        aws_access_key_id=s3["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=s3["S3_SECRET_ACCESS_KEY"],
    )
    stored = [
        bucket.get_object(Bucket=s3["S3_BUCKET"], Key=o["Key"])["Body"].read()
        for o in bucket.list_objects_v2(Bucket=s3["S3_BUCKET"], Prefix="evidence/")["Contents"]
    ]
    assert stored.count(EVIDENCE) == 1
    for server in (a, b):
        folder = deployment.upload_folder(server)
        assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


# --- 3. a write on one server is seen at once on the other -------------------------------------


def test_a_write_on_one_server_is_seen_at_once_on_the_other(deployment, both_up, spoc):
    a, b = deployment.servers
    row = spoc_rows(spoc)[1]
    for writer, reader in ((a, b), (b, a)):
        words = f"Seen on {reader.name} straight after {writer.name} saved it {uuid.uuid4().hex[:8]}"
        before = spoc.get(row, base=writer.url)
        version = int(_VERSION.search(before.text).group(1))
        saved = spoc.post(f"{row}/progress", progress_form(before, words), base=writer.url)
        assert saved.status_code == 302
        after = spoc.get(row, base=reader.url)  # at once: no wait, no retry
        assert after.status_code == 200
        assert words in after.text
        assert int(_VERSION.search(after.text).group(1)) == version + 1
    # A form read from one server and saved on the other after a change elsewhere is refused.
    stale = spoc.get(row, base=a.url)
    fresh = spoc.get(row, base=b.url)
    assert spoc.post(f"{row}/progress", progress_form(fresh, "First of two"), base=b.url).status_code == 302
    conflict = spoc.post(f"{row}/progress", progress_form(stale, "Second of two"), base=a.url)
    assert conflict.status_code == 409
    assert stored_updates(deployment, ["First of two", "Second of two"]) == Counter(
        {("update", "First of two"): 1, ("audit", "First of two"): 1}
    )


def test_a_spreadsheet_checked_on_one_server_is_applied_on_the_other(deployment, both_up, spoc):
    """Updating a plan from a spreadsheet takes three requests: the upload (kept in storage behind
    a signed token), the check of the changes, and applying them. Each goes to another server."""
    a, b = deployment.servers
    plan = re.match(r"/plans/(\d+)/", spoc_rows(spoc)[0]).group(1)
    exported = spoc.get(f"/plans/export?format=csv&plan={plan}", base=a.url)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    impact = rows[0].index("Impact")
    added = f"Checked on one server, applied on the other {uuid.uuid4().hex[:8]}"
    rows[1][impact] += "\n" + added
    edited = io.StringIO()
    csv.writer(edited).writerows(rows)

    form = spoc.get(f"/plans/{plan}/update-from-file", base=a.url)
    uploaded = spoc.post(
        f"/plans/{plan}/update-from-file",
        {"csrf_token": csrf(form), "key": "Duty"},
        files={"file": ("plan.csv", edited.getvalue().encode(), "text/csv")},
        base=b.url,
    )
    assert uploaded.status_code == 302, uploaded.text[:2000]
    preview_path = uploaded.headers["Location"]
    assert _stored_keys(deployment, "imports/")  # the upload waits in the shared bucket
    preview = spoc.get(preview_path, base=a.url)
    assert preview.status_code == 200
    assert "0 rows added, 1 changed, 0 missing from the file." in words_of(preview)
    assert added in preview.text
    applied = spoc.post(preview_path, {"csrf_token": csrf(preview)}, base=b.url)
    assert applied.status_code == 302 and applied.headers["Location"] == f"/plans/{plan}"
    assert added in spoc.get(f"/plans/{plan}", base=a.url).text
    assert _stored_keys(deployment, "imports/") == []  # and is removed once applied


def _stored_keys(deployment, prefix: str) -> list[str]:
    s3 = deployment.s3
    bucket = boto3.client(
        "s3",
        endpoint_url=s3["S3_ENDPOINT_URL"],
        region_name=s3["S3_REGION"],
        aws_access_key_id=s3["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=s3["S3_SECRET_ACCESS_KEY"],
    )
    listed = bucket.list_objects_v2(Bucket=s3["S3_BUCKET"], Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


# --- 5. a server dies with a request in it -------------------------------------------------------


def _hung(pool, call, *, frozen: Gunicorn, served_elsewhere: str, tries: int = 3):
    """Send ``call`` through nginx until one attempt is waiting in the frozen server (round-robin:
    this one or the next); each that comes back must have been answered by ``served_elsewhere``."""
    for _ in range(tries):
        waiting = frozen.waiting_connections()
        future = pool.submit(call)
        deadline = time.monotonic() + 60
        while not future.done() and frozen.waiting_connections() == waiting:
            assert time.monotonic() < deadline, "the request neither came back nor reached the frozen server"
            time.sleep(0.02)
        if not future.done():
            return future
        answer = future.result()
        assert served_by(answer) == served_elsewhere
        assert answer.status_code in {200, 302}
    raise AssertionError("no request reached the frozen server")


def test_when_a_server_dies_mid_request_nginx_retries_a_get_but_reports_a_post(deployment, both_up, spoc):
    """What nginx does, with `proxy_next_upstream error timeout http_502` and no
    `non_idempotent`, when the server it sent a request to dies before answering: a GET is sent
    again to the other server and the client never knows; a POST is not (the server may have
    written it), and the client gets 502 Bad Gateway. The client can safely send its form again:
    the row version it carries makes a second save of the same update a 409, never a duplicate.

    Server A is frozen (SIGSTOP: the kernel still accepts connections for it, nothing answers),
    a POST and a GET are left waiting in it, then it is killed (SIGKILL)."""
    a, b = deployment.servers
    rows = spoc_rows(spoc)
    post_row, get_row = rows[2], rows[3]
    run = uuid.uuid4().hex[:8]
    sent: list[str] = []
    a.send(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:

            def post():
                tab = spoc.clone()
                form = tab.get(post_row, base=b.url)  # the form, from the live server
                sent.append(f"Cut off with its server {run} ({len(sent) + 1})")
                return tab.post(f"{post_row}/progress", progress_form(form, sent[-1]))

            waiting_post = _hung(pool, post, frozen=a, served_elsewhere=b.address)
            waiting_get = _hung(pool, lambda: spoc.clone().get(get_row), frozen=a, served_elsewhere=b.address)
            assert a.waiting_connections() == 2
            assert not waiting_post.done() and not waiting_get.done()
            a.stop(signal.SIGKILL)
            cut_off, reread = waiting_post.result(timeout=30), waiting_get.result(timeout=30)
    finally:
        if a.running():
            a.stop(signal.SIGKILL)
    assert cut_off.status_code == 502 and served_by(cut_off) == a.address  # not tried again
    assert reread.status_code == 200 and served_by(reread) == f"{a.address}, {b.address}"  # tried on B
    assert "Sign out" in reread.text

    # The cut-off POST wrote nothing (A never read it); the client, told, sends it again, once.
    words = sent[-1]
    page = spoc.get(post_row)
    assert words not in page.text
    assert stored_updates(deployment, [words]) == Counter()
    again = spoc.post(f"{post_row}/progress", progress_form(page, words))
    assert again.status_code == 302 and served_by(again).endswith(b.address)
    assert stored_updates(deployment, [words]) == Counter({("update", words): 1, ("audit", words): 1})


def test_a_server_killed_inside_a_save_stores_nothing_and_the_client_is_told(deployment, both_up, spoc):
    """A server dies (SIGKILL) in the middle of a save: the request has reached the app, which is
    inside its database transaction, waiting for the plan row (the test holds the row's lock, as
    a slow save on another server would). nginx answers the client 502 and does not send the POST
    again; PostgreSQL rolls back what the dead server had begun, so neither the update nor its
    audit entry is stored; the client sends it again and it is saved once."""
    a, b = deployment.servers
    row = spoc_rows(spoc)[3]
    row_id = int(row.rsplit("/", 1)[1])
    words = f"Saved while its server died {uuid.uuid4().hex[:8]}"
    form = progress_form(spoc.get(row), words)
    waiting_for_lock = text(
        "SELECT application_name FROM pg_stat_activity WHERE datname = 'prevent' AND wait_event_type = 'Lock'"
    )
    locker = create_engine(deployment.postgres.admin_url)
    try:
        with locker.connect() as conn, ThreadPoolExecutor(max_workers=1) as pool:
            conn.execute(text("SELECT id FROM plan_rows WHERE id = :id FOR UPDATE"), {"id": row_id})
            saving = pool.submit(spoc.clone().post, f"{row}/progress", form)
            deadline = time.monotonic() + 60
            while not (waiting := conn.execute(waiting_for_lock).scalars().all()):
                assert not saving.done(), saving.result().status_code
                assert time.monotonic() < deadline, "the save never reached the database"
                time.sleep(0.05)
            (name,) = waiting
            victim, survivor = (a, b) if name == "server-a" else (b, a)
            victim.stop(signal.SIGKILL)
            cut_off = saving.result(timeout=30)
            conn.rollback()  # the lock goes; the dead server's transaction can never commit
            # PostgreSQL ends the dead server's session once it finds its client gone.
            while conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"), {"name": name}
            ).scalar_one():
                assert time.monotonic() < deadline, "the dead server's database session lingered"
                conn.rollback()
                time.sleep(0.05)
    finally:
        locker.dispose()
    assert cut_off.status_code == 502 and served_by(cut_off) == victim.address  # told, not resent
    assert stored_updates(deployment, [words]) == Counter()  # nothing half-saved

    # A POST that nginx cannot even connect with (never sent) it passes on to the other server.
    # Reloaded, nginx forgets that the dead server failed and tries it again in its turn, which
    # comes within two requests. (A form with the update left out: answered with an error
    # message, saving nothing.)
    deployment.nginx.mark_down(set())
    blank = {**form, "items": ""}
    tried = [spoc.post(f"{row}/progress", blank) for _ in range(2)]
    assert f"{victim.address}, {survivor.address}" in [served_by(answer) for answer in tried]
    assert all(answer.status_code == 200 and "Enter the progress update" in answer.text for answer in tried)

    again = spoc.post(f"{row}/progress", form)
    assert again.status_code == 302 and served_by(again).split(", ")[-1] == survivor.address
    # Sent a third time (as if the answer to the second had been lost too): refused, not doubled.
    assert spoc.post(f"{row}/progress", form).status_code == 409
    assert stored_updates(deployment, [words]) == Counter({("update", words): 1, ("audit", words): 1})


# --- 5. a server stopped mid-run -------------------------------------------------------------------

WRITERS = 3
WRITES_EACH = 10
#: Each writer makes this many updates before the stop begins, and waits (if need be) for the
#: stopped server to be gone before its last PHASE: so some writes meet the stop and some come after.
PHASE = 3


def _write_until_saved(tab: Browser, row: str, words: str, n: int, log: list) -> None:
    """Save one progress update as a person would: open the row, fill in the form, save; when the
    answer is an error, open the row again and, if the update is not there, save it again.
    Logs (which write of the client's, method, status, who answered) for every request."""
    for _ in range(6):
        page = tab.get(row)
        log.append((n, "GET", page.status_code, served_by(page)))
        assert page.status_code == 200, page.status_code
        if words in page.text:
            return  # an attempt the client was told failed had in fact been saved
        answer = tab.post(f"{row}/progress", progress_form(page, words))
        log.append((n, "POST", answer.status_code, served_by(answer)))
        if answer.status_code == 302:
            return
        assert answer.status_code in {409, 502, 504}, answer.status_code
    raise AssertionError(f"{words!r} could not be saved")


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL", "drained"])
def test_a_server_stopped_mid_run_loses_nothing(deployment, both_up, spoc, how):
    """Three people each save ten progress updates (each on a row of their own) through nginx.
    After three each, server A is stopped while they go on, and they make their last three after
    it has gone. Stopped how:

    - SIGTERM: gunicorn's graceful stop (it closes its socket, finishes the requests it holds,
      then exits);
    - SIGKILL: a crash;
    - drained: as an operator would, A is first marked ``down`` in nginx's upstream and nginx
      reloaded, then A gets SIGTERM.

    Every update is then stored exactly once, with one audit entry; after the stop B answers
    everything; an error a client met was one it was told of (502), after which it looked at the
    row and sent the update again if it was not there. Drained first, no client meets any error.
    """
    a, b = deployment.servers
    rows = spoc_rows(spoc)[4:7]
    run = uuid.uuid4().hex[:6]
    words = {w: [f"Run {run} writer {w} update {n:02d}" for n in range(WRITES_EACH)] for w in range(WRITERS)}
    log: list = []
    arrived = threading.Barrier(WRITERS + 1)
    go, gone = threading.Event(), threading.Event()

    def writer(w: int) -> None:
        tab = spoc.clone()
        # A client that tries to choose the address it is recorded under: nginx appends the one
        # it saw, and the app (TRUSTED_PROXIES=1) takes that one.
        tab.session.headers["X-Forwarded-For"] = "203.0.113.9"
        for n, item in enumerate(words[w]):
            if n == PHASE:
                arrived.wait(timeout=60)
                assert go.wait(timeout=60)
            if n == WRITES_EACH - PHASE:
                assert gone.wait(timeout=60)
            _write_until_saved(tab, rows[w], item, n, log)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(writer, w) for w in range(WRITERS)]
        try:
            arrived.wait(timeout=60)
            if how == "drained":
                deployment.nginx.mark_down({a.address})
            go.set()
            stopping = time.monotonic()
            a.stop(signal.SIGKILL if how == "SIGKILL" else signal.SIGTERM)
            stopped = time.monotonic()
        finally:
            go.set()
            gone.set()
        for future in futures:
            future.result(timeout=120)
    elapsed = time.monotonic() - started

    every = [item for items in words.values() for item in items]
    addresses: set[str] = set()
    stored = stored_updates(deployment, every, addresses=addresses)
    # Recorded under the client's address as nginx saw it: not nginx's own (NGINX_ADDRESS), not
    # the one the client made up.
    assert addresses == {"127.0.0.1"}
    for item in every:
        assert stored[("update", item)] == 1, item  # none lost, none doubled
        assert stored[("audit", item)] == 1, item
    before = [entry for entry in log if entry[0] < PHASE]
    during = [entry for entry in log if PHASE <= entry[0] < WRITES_EACH - PHASE]
    after = [entry for entry in log if entry[0] >= WRITES_EACH - PHASE]
    # Both servers took writes before the stop; once A had gone, B answered everything (having
    # been the second server nginx tried, when it tried A first), and every page opened.
    assert {server for *_, server in before} == {a.address, b.address}, log
    assert len(after) >= 2 * WRITERS * PHASE
    assert all(server.split(", ")[-1] == b.address and status in {200, 302} for _, _, status, server in after)
    errors = Counter(status for _, _, status, _ in log if status not in {200, 302})
    assert set(errors) <= {502, 409}
    print(
        f"\nMULTISERVER {how}: {len(every)} updates by {WRITERS} clients in {elapsed:.1f} s, "
        f"{len(log)} requests ({len(before)} before the stop, {len(during)} during {stopped - stopping:.1f} s "
        f"of it, {len(after)} after), errors met and recovered from: {dict(errors) or 'none'}"
    )
    if how == "drained":
        # Out of nginx's rotation first: nothing reached A after the reload, nobody saw an error.
        assert not errors
        assert [entry for entry in during + after if entry[3] != b.address] == []
    # gunicorn's exit: 0 after a graceful stop; killed by the signal otherwise.
    assert a.process.returncode == (-signal.SIGKILL if how == "SIGKILL" else 0)
