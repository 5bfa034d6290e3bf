"""Protected health information: note text never leaves through logs, warnings, errors, progress output,
rejected.csv or run.json; no network is used; the report escapes what it shows.

Unique markers (ZQXMARKER<n>) are planted in note texts: in sentences that become evidence, in text
that does not, in rows that are rejected, in files that cannot be read, and in the message of an
exception raised while a note is read. The CLI runs as a real command; the markers may appear only
in the files that hold evidence by design: evidence.csv/.parquet, review.csv/.parquet, report.html
(and, while a run is unfinished, its checkpoints OUT/.work/chunk-*.pkl, which hold that evidence).
"""
import csv
import fcntl
import io
import json
import os
import pty
import socket
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from conftest import ROOT, SAMPLES
from pipeline.cli.main import main

MARK = "ZQXMARKER"
EVIDENCE_FILES = {"evidence.csv", "evidence.parquet", "review.csv", "review.parquet", "report.html"}
COLUMNS = ["patient_id", "note_id", "note_date", "note_type", "text"]
PATIENTS = ["SMP-001", "SMP-002", "SMP-003"]


def sample_rows() -> list[list[str]]:
    df = pd.read_csv(SAMPLES / "notes.csv", dtype=str, keep_default_na=False)
    return df[df.patient_id.isin(PATIENTS)][COLUMNS].values.tolist()


def csv_text(rows, header=COLUMNS) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def marked_rows() -> list[list[str]]:
    """The sample notes with markers in evidence and non-evidence text, plus rows that will be rejected."""
    rows = sample_rows()
    rows[0][4] = f"Patient enjoys gardening, {MARK}1 lives with spouse.\n" + rows[0][4]
    rows[1][4] += f"\nODI 42% {MARK}2 today.\n"
    return rows + [
        ["SMP-001", rows[2][1], "2025-03-01", "Pain Note", f"duplicate id {MARK}3 ODI 50%"],
        ["SMP-001", "BAD-DATE", "2025-02-30", "Pain Note", f"impossible date {MARK}4 ODI 50%"],
        ["", "NO-PID", "2025-03-01", "Pain Note", f"no patient {MARK}5 ODI 50%"],
        ["SMP-001", "RAGGED", "2025-03-01", "Pain Note", f"ragged {MARK}6 ODI 50%", f"more {MARK}6"],
    ]


def run_cli(args, env=None, prelude: str = "", timeout=300) -> subprocess.CompletedProcess:
    """`scs-abstract ARGS` as a real process; `prelude` is Python run first (to plant a fault)."""
    code = prelude + "\nimport sys\nfrom pipeline.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def leaks(out: Path, allowed=EVIDENCE_FILES) -> dict[str, int]:
    """Files of the output folder (other than `allowed`) that hold a marker, with how many."""
    found = {}
    for p in sorted(out.rglob("*")) if out.exists() else []:
        if not p.is_file() or p.name in allowed:
            continue
        data = p.read_bytes()
        if p.suffix == ".parquet":
            data = pd.read_parquet(p).to_csv().encode()
        if MARK.encode() in data:
            found[str(p.relative_to(out))] = data.count(MARK.encode())
    return found


def assert_quiet(p: subprocess.CompletedProcess) -> None:
    assert MARK not in p.stdout and MARK not in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("phi")
    notes = tmp / "notes.csv"
    notes.write_text(csv_text(marked_rows()), encoding="utf-8")
    out = tmp / "out"
    return run_cli(["run", notes, "--out", out]), out


def test_good_and_rejected_rows_leak_nothing(good_run):
    p, out = good_run
    assert p.returncode == 0, p.stderr
    assert_quiet(p)
    assert leaks(out) == {}
    rejected = (out / "rejected.csv").read_text()
    assert len(rejected.splitlines()) == 5 and "ragged row" in rejected and "duplicate note_id" in rejected
    # the evidence does hold note text (so the check above could have seen a leak)
    assert f"{MARK}2" in (out / "evidence.csv").read_text()
    assert f"{MARK}2" in (out / "report.html").read_text()
    assert not (out / ".work").exists()  # checkpoints (which hold evidence) are gone once the run is complete
    counts = json.loads((out / "run.json").read_text())["counts"]
    assert counts["rows_read"] == counts["notes_processed"] + counts["rows_rejected"] == 24


def _files(tmp: Path):
    """Exports that stop the run or only warn, each with a marker in its note text."""
    rows = sample_rows()
    yield "missing_column", "notes.csv", csv_text([r[:4] + [f"{MARK}8 ODI 40%"] for r in rows],
                                                  header=COLUMNS[:4] + ["NOTE_BODY"]).encode(), 2
    lines = csv_text(rows).splitlines(keepends=True)
    lines[2] = f'SMP-001,Q-1,2025-01-01,Pain Note,"{MARK}9 open quote, never closed\n'
    yield "unbalanced_quote", "notes.csv", "".join(lines).encode(), 2
    yield "headerless", "notes.csv", csv_text([["SMP-001", "H-1", "2025-01-01", "Pain Note", f"{MARK}10 ODI 40%"]],
                                              header=None).encode(), 2
    yield "headerless_short_first_row", "notes.csv", f"A,1,2025-01-01,x,{MARK}11\n".encode(), 2
    yield "latin1_and_nul", "notes.csv", csv_text(rows[:3] + [["SMP-001", "L-1", "2025-01-01", "Pain Note",
                                                                f"José {MARK}12\x00 ODI 40%"]]).encode("cp1252"), 0
    yield "bad_json_lines", "notes.jsonl", (
        json.dumps({"patient_id": "A", "note_id": "1", "note_date": "2025-01-01", "text": f"{MARK}13 ODI 40%"}) +
        f'\n{{"patient_id": "A", "note_id": "2", "text": "{MARK}14\n["{MARK}15"]\n').encode(), 0
    yield "binary", "notes.csv", b"PK\x03\x04" + f"{MARK}16".encode() + bytes(range(32)) * 10, 2
    yield "long_note", "notes.csv", csv_text([["A", "1", "2025-01-01", "Pain Note",
                                               f"ODI 40% {MARK}17.\n" + "x " * 600_000]]).encode(), 0


@pytest.mark.parametrize("name", [c[0] for c in _files(Path("."))])
def test_bad_files_leak_nothing(tmp_path, name):
    _, filename, data, code = next(c for c in _files(tmp_path) if c[0] == name)
    notes = tmp_path / filename
    notes.write_bytes(data)
    out = tmp_path / "out"
    p = run_cli(["run", notes, "--out", out])
    assert p.returncode == code, p.stderr
    assert_quiet(p)
    assert leaks(out) == {}
    if code == 2:
        assert p.stderr.startswith(f"scs-abstract: error: {notes}")
    else:
        assert "warning" in p.stderr or "rejected" in p.stderr


CRASH = textwrap.dedent(f"""
    import pipeline.extract.notes  # noqa: F401  (registers the normalizers)
    from pipeline.extract.registry import NORMALIZERS, Registered
    odi = NORMALIZERS["ODI"]
    def boom(t):
        if "{MARK}" in t.sentence:  # an exception whose message quotes the note
            raise ValueError("cannot read " + t.sentence)
        return odi.func(t)
    NORMALIZERS["ODI"] = Registered("odi", boom)
""")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_crash_while_reading_a_note_leaks_nothing(tmp_path, workers):
    notes = tmp_path / "notes.csv"
    notes.write_text(csv_text(marked_rows()[:4]), encoding="utf-8")
    out = tmp_path / "out"
    p = run_cli(["run", notes, "--out", out, "--workers", workers], prelude=CRASH)
    assert p.returncode == 1
    assert_quiet(p)
    assert "scs-abstract: error: the run failed: ValueError" in p.stderr
    assert "SCS_DEBUG=1" in p.stderr and "--resume" in p.stderr
    if workers == 1:  # in this process the note being read is known (by its ids, never its text)
        assert "while extracting note_id SMP-001-N2 (patient_id SMP-001)" in p.stderr
    assert leaks(out, allowed=EVIDENCE_FILES | {f.name for f in (out / ".work").glob("chunk-*.pkl")}) == {}
    assert not (out / "review.csv").exists()
    # for a developer, on test data: SCS_DEBUG=1 lets the exception through with its traceback
    debug = run_cli(["run", notes, "--out", out], prelude=CRASH, env={"SCS_DEBUG": "1"})
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "ValueError" in debug.stderr


def test_a_crash_while_writing_the_report_leaks_nothing(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text(csv_text(marked_rows()[:4]), encoding="utf-8")
    prelude = textwrap.dedent("""
        import pipeline.outputs.report.render as r
        def boom(result, path):
            raise RuntimeError("bad sentence: " + " ".join(result.evidence["sentence"]))
        r.write_report_file = boom
    """)
    p = run_cli(["run", notes, "--out", tmp_path / "out"], prelude=prelude)
    assert p.returncode == 1
    assert_quiet(p)
    assert "the run failed: RuntimeError" in p.stderr
    assert not (tmp_path / "out" / "review.csv").exists()  # all outputs or none


def test_progress_bar_on_a_terminal_leaks_nothing(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text(csv_text(marked_rows()), encoding="utf-8")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a terminal 120 columns wide
    code = "import sys\nfrom pipeline.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    proc = subprocess.Popen([sys.executable, "-c", code, "run", str(notes), "--out", str(tmp_path / "out"),
                             "--chunk-size", "5"], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=300) == 0
    os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert "scs-abstract:" in shown and "notes=" in shown  # the progress bar was drawn
    assert MARK not in shown


# --- no network ------------------------------------------------------------------------------------------------

class NetworkUsed(AssertionError):
    pass


NETWORK = (socket.AF_INET, socket.AF_INET6)


@pytest.fixture
def no_network(monkeypatch):
    """Every way out to the network raises: connecting or sending on an internet socket, and name lookups.

    Creating a socket is allowed (urllib3, imported by spaCy, probes IPv6 support by binding one to ::1
    when it is imported); local AF_UNIX sockets, which process pools may use, work as before.
    """
    attempts = []
    real = socket.socket

    def refuse(what):
        def method(*args, **kwargs):
            attempts.append(what)
            raise NetworkUsed(f"network used at run time: {what}")
        return method

    class GuardedSocket(real):
        def _out(self, what, call, *args):
            if self.family in NETWORK:
                refuse(what)()
            return call(self, *args)

        def connect(self, *a):
            return self._out("connect", real.connect, *a)

        def connect_ex(self, *a):
            return self._out("connect_ex", real.connect_ex, *a)

        def sendto(self, *a):
            return self._out("sendto", real.sendto, *a)

        def sendmsg(self, *a):
            return self._out("sendmsg", real.sendmsg, *a)

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, name, refuse(name))
    yield attempts
    assert attempts == [], "the pipeline tried to use the network"


def test_review_runs_without_network(no_network):
    with pytest.raises(NetworkUsed):  # the guard works
        socket.create_connection(("example.org", 80))
    with pytest.raises(NetworkUsed), socket.socket() as s:
        s.connect(("192.0.2.1", 80))
    no_network.clear()
    df = pd.DataFrame(sample_rows(), columns=COLUMNS)
    result = pipeline.review(df)
    assert len(result.review) == 3


@pytest.mark.parametrize("workers", [1, 2])
def test_cli_runs_without_network(tmp_path, no_network, capsys, workers):
    notes = tmp_path / "notes.csv"
    notes.write_text(csv_text(marked_rows()), encoding="utf-8")
    assert main(["run", str(notes), "--out", str(tmp_path / "out"), "--workers", str(workers), "--chunk-size",
                 "7", "--quiet"]) == 0
    assert MARK not in capsys.readouterr().err


def test_command_runs_without_network_from_its_first_import(tmp_path):
    """In a fresh process, sockets are blocked before anything is imported; every attempt would be reported."""
    notes = tmp_path / "notes.csv"
    notes.write_text(csv_text(sample_rows()), encoding="utf-8")
    prelude = textwrap.dedent("""
        import socket, sys
        _real = socket.socket
        def _refuse(*a, **k):
            print("NETWORK ATTEMPT", file=sys.stderr)
            raise OSError("network blocked")
        class _Guarded(_real):
            def connect(self, *a):
                return _refuse() if self.family in (socket.AF_INET, socket.AF_INET6) else _real.connect(self, *a)
            def connect_ex(self, *a):
                return _refuse() if self.family in (socket.AF_INET, socket.AF_INET6) else _real.connect_ex(self, *a)
            def sendto(self, *a):
                return _refuse() if self.family in (socket.AF_INET, socket.AF_INET6) else _real.sendto(self, *a)
        socket.socket = _Guarded
        socket.create_connection = socket.getaddrinfo = socket.gethostbyname = socket.gethostbyaddr = _refuse
    """)
    p = run_cli(["run", notes, "--out", tmp_path / "out", "--workers", "2"], prelude=prelude)
    assert p.returncode == 0, p.stderr
    assert "NETWORK ATTEMPT" not in p.stderr


# --- the report escapes note text ------------------------------------------------------------------------------

def test_report_escapes_markup_in_notes(tmp_path):
    rows = sample_rows()
    rows[1][4] += f'\nODI 44% <script>alert("{MARK}18")</script> <b onmouseover="x()">{MARK}19</b> & more.\n'
    notes = tmp_path / "notes.csv"
    notes.write_text(csv_text(rows), encoding="utf-8")
    p = run_cli(["run", notes, "--out", tmp_path / "out"])
    assert p.returncode == 0, p.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    evidence = " ".join(pd.read_csv(tmp_path / "out" / "evidence.csv")["sentence"])
    assert f'<script>alert("{MARK}18")' in evidence  # it is evidence ...
    assert f"{MARK}18" in html and f"{MARK}19" in html  # ... shown in the report ...
    assert "<script>alert" not in html and '<b onmouseover' not in html  # ... as text, never as markup
