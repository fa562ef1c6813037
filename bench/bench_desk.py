"""The desk on a big shop: the week page, ticking a gesture, and twenty people ticking at once.

Run from the repository root:
    python bench/bench_desk.py [--shop SHOP.db] [--seconds 30] [--clients 20] [--pace 0]

``--shop`` is a seeded SQLite shop to copy (default: 200,000 customers seeded once into the temp
folder, as bench_plan.py does, which takes a minute or two). A copy of it is prepared once (kept
in the temp folder): upgraded, a week planned with 500 gestures (the rules' capacities raised),
a manager and one writer per client. Each run starts from a fresh copy of that, runs
`delight serve` in a subprocess on a free port of 127.0.0.1, and measures from this process over
keep-alive HTTP connections, so every figure is the desk's whole answer as a browser on the same
computer gets it (the loopback adds well under a millisecond):

1. the week page with its 500 gestures (`GET /week`), against a baseline in this process: the
   same rows read with one SQL query and written out as an escaped HTML table by plain joins;
2. ticking a gesture sent (`POST /gestures/ID/sent`, as htmx sends it) and undoing it, against
   a baseline: the same change by hand in sqlite3 (lock, update, audit row, commit);
3. CLIENTS people ticking for SECONDS, each their own gestures (sent, then undo, again and again)
   and now and then one of a shared set that everyone ticks (it must be logged once): each
   ticks again as soon as the last tick is answered, or (``--pace``) pauses so many seconds on
   average first; against the same number of threads making the baseline change for as long. The
   audit trail must then hold exactly what the answers said was done: nothing lost, nothing
   twice. The server's CPU time is read from /proc (Linux), to tell its work from waiting.

Targets: the week page in 150 ms or less, a tick in 50 ms or less, and under load the 95th
percentile under 200 ms with nothing lost.
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEEK = "2026-W49"
PLANNED = 500
PASSWORD = "benchmark password"
MANAGER = "manager"
CAPACITIES = {"handwritten_note": 250, "small_gift": 50, "cheer_message": 170, "recovery_call": 30}
WRITERS = '\n[writers."민지"]\ncapacity = 160\n\n[writers.Tom]\ncapacity = 160\n'
SHARED = 100  # gestures everybody ticks now and then: each must be logged once


def rules_text() -> str:
    """The default rules, with room for 500 gestures a week and two writers."""
    from planner.core.rules import default_rules_text

    text = default_rules_text().replace("weekly_budget = 300000", "weekly_budget = 5000000")
    for kind, capacity in CAPACITIES.items():
        text = re.sub(rf"(\[gestures\.{kind}\][^\[]*?capacity = )\d+", rf"\g<1>{capacity}", text, flags=re.S)
    return text + WRITERS


def prepared(shop: Path, clients: int) -> tuple[Path, Path]:
    """The shop with the week planned and the users added, made once and kept in the temp folder."""
    from db import schema
    from db.engine import database_url, make_engine
    from planner.services import accounts, planning

    folder = Path(tempfile.gettempdir()) / "delight-bench-desk"
    folder.mkdir(exist_ok=True)
    rules = folder / "rules.toml"
    rules.write_text(rules_text(), encoding="utf-8")
    # Named by the schema it was made for: a copy made by an older delight is not reused.
    path = folder / f"{shop.stem}-planned-{clients}-schema{schema.head_revision()}.db"
    if path.exists():
        return path, rules
    partial = path.with_suffix(".partial")
    shutil.copyfile(shop, partial)
    engine = make_engine(database_url(str(partial)))
    schema.upgrade(engine)
    result = planning.plan_week(engine, planning.PlanOptions(week=WEEK, rules_path=rules, seed=1, replace=True))
    assert len(result.gestures) == PLANNED, f"planned {len(result.gestures)}, not {PLANNED}: adjust CAPACITIES"
    accounts.add_user(engine, MANAGER, "manager", PASSWORD, "bench")
    for number in range(clients):
        accounts.add_user(engine, f"writer{number}", "writer", PASSWORD, "bench")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.rename(path)
    return path, rules


class Client:
    """One person's browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None, htmx: bool = False) -> tuple[int, str, float]:
        headers = {"Accept-Language": "en", "Cookie": self.cookie}
        body = None
        if form is not None:
            body = urlencode({"csrf_token": self.csrf, **form}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed a connection left idle past its keep-alive time, before reading the request.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8")
        seconds = time.perf_counter() - started
        cookie = response.getheader("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text, seconds

    def sign_in(self, name: str) -> None:
        self.csrf = _csrf(self.request("GET", "/signin")[1])
        status, _text, _seconds = self.request("POST", "/signin", {"name": name, "password": PASSWORD})
        assert status == 303, f"{name} could not sign in"
        self.csrf = _csrf(self.request("GET", "/print")[1])


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database: Path, rules: Path, port: int) -> subprocess.Popen:
    """`delight serve` on 127.0.0.1, as a person would start it."""
    command = [
        sys.executable,
        "-m",
        "planner",
        "--db",
        str(database),
        "serve",
        "--port",
        str(port),
        "--rules",
        str(rules),
    ]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the desk did not start")


def summary(seconds: list[float]) -> str:
    """Median, 95th percentile and worst, in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    median = statistics.median(ordered)
    return f"median {1000 * median:6.1f} ms  p95 {1000 * p95:6.1f} ms  max {1000 * ordered[-1]:6.1f} ms"


# --- 1. The week page --------------------------------------------------------------------------

WEEK_SQL = """
    SELECT g.id, c.external_id, c.name, g.kind, g.writer, g.reason, g.message, g.send_by, g.status
    FROM gestures g JOIN customers c ON c.id = g.customer_id
    WHERE g.week = ? AND g.status IN ('planned', 'sent', 'skipped', 'failed')
    ORDER BY g.writer, g.kind, c.name, g.id
"""


def baseline_week_page(database: Path) -> int:
    """The same rows, one query, written as an escaped HTML table by plain joins."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(WEEK_SQL, (WEEK,)).fetchall()
    cells = ("".join(f"<td>{html.escape(str(value or ''))}</td>" for value in row) for row in rows)
    page = "<table>" + "".join(f"<tr>{row}</tr>" for row in cells) + "</table>"
    return len(page)


# --- 2. Ticking ----------------------------------------------------------------------------------


def baseline_tick(connection: sqlite3.Connection, gesture_id: int, status: str, actor: str) -> None:
    """What a tick changes, by hand: lock, update the gesture, add the audit row, commit."""
    now = datetime.now(UTC).isoformat(" ", "microseconds")[:26]
    connection.execute("BEGIN IMMEDIATE")
    if status == "sent":
        connection.execute(
            "UPDATE gestures SET status = 'sent', sent_by = ?, sent_at = ? WHERE id = ? AND status = 'planned'",
            (actor, now, gesture_id),
        )
    else:
        connection.execute(
            "UPDATE gestures SET status = 'planned', sent_by = NULL, sent_at = NULL WHERE id = ?", (gesture_id,)
        )
    connection.execute(
        "INSERT INTO audit_events (at, actor, entity, entity_id, action, detail) VALUES (?, ?, 'gesture', ?, ?, '')",
        (now, actor, gesture_id, "sent" if status == "sent" else "undo"),
    )
    connection.execute("COMMIT")


def sqlite_connection(database: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(database, timeout=15, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


# --- 3. Many at once -----------------------------------------------------------------------------


@dataclass
class Person:
    """What one person's answers said was done, and how long each took."""

    sent: int = 0
    undone: int = 0
    already: int = 0
    shared_sent: Counter = field(default_factory=Counter)
    last: dict[int, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def tick_as_a_person(client: Client, own: list[int], shared: list[int], until: float, seed: int, pace: float) -> Person:
    """Tick own gestures sent then undo them, and now and then a shared one, until the time is up.

    With a ``pace``, the person pauses that long on average before each tick (exponentially
    distributed, so that twenty people do not click in step); without one, ticks again as soon
    as the last tick is answered.
    """
    person, rng, turn = Person(), random.Random(seed), 0
    while time.monotonic() < until:
        if pace:
            time.sleep(rng.expovariate(1 / pace))
        turn += 1
        if turn % 5 == 0:
            gesture_id, action = rng.choice(shared), "sent"
        else:
            gesture_id = own[(turn // 2) % len(own)]
            action = "undo" if person.last.get(gesture_id) == "sent" else "sent"
        status, text, seconds = client.request("POST", f"/gestures/{gesture_id}/{action}", {"week": WEEK}, htmx=True)
        person.seconds.append(seconds)
        if status != 200 or 'class="flash problem"' in text:
            person.problems.append(f"{status} {action} {gesture_id}: {text[:200]}")
            continue
        if "Logged 1." in text:
            person.sent += 1
            if gesture_id in shared:
                person.shared_sent[gesture_id] += 1
        elif "was already logged as Sent" in text:
            person.already += 1
        elif "Undone" in text:
            person.undone += 1
        else:
            person.problems.append(f"{action} {gesture_id}: no message in {text[:200]}")
        if gesture_id not in shared:
            person.last[gesture_id] = action
    return person


def audit_counts(database: Path, after: int) -> tuple[Counter, Counter, dict[int, str]]:
    """Audit events after an id, by action and (for sent) by gesture; and every gesture's status."""
    with sqlite3.connect(database) as connection:
        actions = Counter(
            dict(connection.execute("SELECT action, COUNT(*) FROM audit_events WHERE id > ? GROUP BY action", (after,)))
        )
        sent_per_gesture = Counter(
            dict(
                connection.execute(
                    "SELECT entity_id, COUNT(*) FROM audit_events WHERE id > ? AND action = 'sent' GROUP BY entity_id",
                    (after,),
                )
            )
        )
        statuses = dict(connection.execute("SELECT id, status FROM gestures WHERE week = ?", (WEEK,)))
    return actions, sent_per_gesture, statuses


def time_week_page(manager: Client, database: Path, planned: list[int], repeat: int) -> None:
    pages, plain = [], []
    for _ in range(repeat):
        status, text, seconds = manager.request("GET", f"/week?week={WEEK}&writer=*")
        assert status == 200 and text.count('<tr id="g-') == len(planned), "the week page lost rows"
        pages.append(seconds)
        started = time.perf_counter()
        baseline_week_page(database)
        plain.append(time.perf_counter() - started)
    print(f"\nweek page, {len(planned)} gestures ({len(text) // 1024} KB of HTML), {repeat} times")
    print(f"  desk (GET /week, whole answer)     {summary(pages)}")
    print(f"  baseline (one query + plain HTML)  {summary(plain)}")
    print(f"  ratio of medians {statistics.median(pages) / statistics.median(plain):.1f}x; target <= 150 ms")


def time_ticks(manager: Client, database: Path, gestures: list[int]) -> None:
    ticks, undos, by_hand = [], [], []
    for gesture_id in gestures:
        status, text, seconds = manager.request("POST", f"/gestures/{gesture_id}/sent", {"week": WEEK}, htmx=True)
        assert status == 200 and "row-sent" in text, text[:300]
        ticks.append(seconds)
    for gesture_id in gestures:
        status, text, seconds = manager.request("POST", f"/gestures/{gesture_id}/undo", {"week": WEEK}, htmx=True)
        assert status == 200 and "row-planned" in text, text[:300]
        undos.append(seconds)
    connection = sqlite_connection(database)
    for gesture_id in gestures:
        for change in ("sent", "undo"):
            started = time.perf_counter()
            baseline_tick(connection, gesture_id, change, "bench")
            by_hand.append(time.perf_counter() - started)
    connection.close()
    print(f"\nticking a gesture, {len(ticks)} times")
    print(f"  desk: sent (POST, the row back)    {summary(ticks)}")
    print(f"  desk: undo                         {summary(undos)}")
    print(f"  baseline (the change by hand)      {summary(by_hand)}")
    print(f"  ratio of medians {statistics.median(ticks) / statistics.median(by_hand):.1f}x; target <= 50 ms")


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (Linux: user and system time from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def many_at_once(
    server: int, port: int, database: Path, planned: list[int], clients: int, seconds: float, pace: float
) -> None:
    with sqlite3.connect(database) as check:
        after = check.execute("SELECT COALESCE(MAX(id), 0) FROM audit_events").fetchone()[0]
    shared = planned[-SHARED:]
    own_each = (len(planned) - SHARED) // clients
    people = [Client(port) for _ in range(clients)]
    for number, person in enumerate(people):
        person.sign_in(f"writer{number}")
    results: list[Person] = [Person() for _ in people]
    until = time.monotonic() + seconds

    def work(number: int) -> None:
        own = planned[number * own_each : (number + 1) * own_each]
        try:
            results[number] = tick_as_a_person(people[number], own, shared, until, number, pace)
        except OSError as error:  # a connection that failed is a failed answer, and counts against the desk
            results[number].problems.append(f"writer{number}: {error!r}")

    server_cpu = cpu_seconds(server)
    elapsed = run_threads(work, clients)
    server_cpu = cpu_seconds(server) - server_cpu
    actions, sent_per_gesture, statuses = audit_counts(database, after)
    answers = [answer for person in results for answer in person.seconds]
    sent, undone = sum(p.sent for p in results), sum(p.undone for p in results)
    already = sum(p.already for p in results)
    problems = [problem for person in results for problem in person.problems]
    shared_twice = [gesture_id for gesture_id in shared if sent_per_gesture.get(gesture_id, 0) > 1]
    last = {gesture_id: action for person in results for gesture_id, action in person.last.items()}
    expected = {"sent": "sent", "undo": "planned"}
    wrong_state = [gesture_id for gesture_id, action in last.items() if statuses[gesture_id] != expected[action]]
    lost = actions["sent"] != sent or actions["undo"] != undone or problems or shared_twice or wrong_state
    rate, how = len(answers) / elapsed, f"pausing {pace:g} s on average" if pace else "each as fast as answered"
    print(f"\n{clients} people ticking at once ({how}) for {elapsed:.1f} s: {len(answers):,} answers, {rate:.0f}/s")
    print(f"  desk                               {summary(answers)}")
    busy = server_cpu / elapsed
    print(f"  the server used {1000 * server_cpu / len(answers):.1f} ms of CPU an answer ({busy:.0%} of one core)")
    print(f"  the answers said: {sent} logged sent, {undone} undone, {already} already logged by someone else")
    print(f"  the audit trail holds: {actions['sent']} sent, {actions['undo']} undo")
    print(f"  shared gestures logged twice: {len(shared_twice)}; gestures not as their last answer said: "
          f"{len(wrong_state)}; failed answers: {len(problems)}")  # fmt: skip
    print(f"  nothing lost: {'yes' if not lost else 'NO'}; target: p95 < 200 ms")
    for problem in problems[:5]:
        print(f"    {problem}")


def many_by_hand(database: Path, planned: list[int], clients: int, seconds: float) -> None:
    """The baseline under the same load: the change by hand, from as many threads, for as long."""
    own_each = (len(planned) - SHARED) // clients
    timings: list[list[float]] = [[] for _ in range(clients)]
    until = time.monotonic() + seconds

    def work(number: int) -> None:
        own = planned[number * own_each : (number + 1) * own_each]
        mine = sqlite_connection(database)
        turn = 0
        while time.monotonic() < until:
            started = time.perf_counter()
            baseline_tick(mine, own[(turn // 2) % len(own)], "sent" if turn % 2 == 0 else "undo", f"writer{number}")
            timings[number].append(time.perf_counter() - started)
            turn += 1
        mine.close()

    elapsed = run_threads(work, clients)
    flat = [answer for per_thread in timings for answer in per_thread]
    print(f"  baseline, {clients} threads by hand    {summary(flat)}  ({len(flat) / elapsed:.0f}/s)")


def run_threads(work: Callable[[int], None], count: int) -> float:
    """Run ``work(0)`` … ``work(count - 1)`` at once; the seconds until all are done."""
    threads = [threading.Thread(target=work, args=(number,)) for number in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop", type=Path, help="A seeded SQLite shop to copy (default: seed 200,000 customers).")
    parser.add_argument("--seconds", type=float, default=30.0, help="How long the people tick at once.")
    parser.add_argument("--clients", type=int, default=20, help="How many people tick at once.")
    parser.add_argument("--repeat", type=int, default=20, help="Week pages to time (and twice as many ticks).")
    parser.add_argument(
        "--pace", type=float, default=0.0, help="Each person pauses this long on average before a tick (0: never)."
    )
    arguments = parser.parse_args()
    if arguments.shop is None:
        from bench.bench_plan import seeded_database

        arguments.shop = seeded_database(200_000)
    original, rules = prepared(arguments.shop, arguments.clients)
    database = original.with_name("run.db")
    for leftover in database.parent.glob("run.db*"):
        leftover.unlink()
    shutil.copyfile(original, database)
    with sqlite3.connect(database) as connection:
        customers = connection.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        rows = connection.execute("SELECT id FROM gestures WHERE week = ? AND status = 'planned' ORDER BY id", (WEEK,))
        planned = [row[0] for row in rows]
    print(f"{database}: {customers:,} customers, {len(planned)} gestures planned for {WEEK}")
    port = free_port()
    server = serve(database, rules, port)
    try:
        manager = Client(port)
        manager.sign_in(MANAGER)
        time_week_page(manager, database, planned, arguments.repeat)
        time_ticks(manager, database, planned[: 2 * arguments.repeat])
        many_at_once(server.pid, port, database, planned, arguments.clients, arguments.seconds, arguments.pace)
    finally:
        server.terminate()
        server.wait(timeout=30)
    many_by_hand(database, planned, arguments.clients, arguments.seconds)


if __name__ == "__main__":
    main()
