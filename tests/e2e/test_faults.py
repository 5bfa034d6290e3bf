"""Faults: outputs appear whole or not at all, an unwritable or full output folder is a clear error
(exit 1), and a run killed with SIGKILL resumes (--resume) to the same tables as an uninterrupted run.
"""
import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import pipeline.io.atomic as atomic
import pipeline.outputs.folder as outputs
from conftest import ROOT, SAMPLES
from pipeline.cli.main import main

OUTPUTS = ["review.csv", "review.parquet", "evidence.csv", "evidence.parquet", "rejected.csv", "report.html",
           "run.json"]


def run(capsys, *args) -> tuple[int, str]:
    code = main(["run", str(SAMPLES / "notes.csv"), "--quiet", *map(str, args)])
    return code, capsys.readouterr().err


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture
def finished(tmp_path, capsys) -> Path:
    """An output folder holding a complete earlier run."""
    out = tmp_path / "out"
    code, err = run(capsys, "--out", out, "--cases", SAMPLES / "cases.csv")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    return out


# --- atomic outputs -----------------------------------------------------------------------------------------

def failing_parquet(error: OSError):
    """The evidence parquet writer writes part of its file, then fails (as a full disk would)."""
    real = outputs._parquet_writer

    def writer(frames):
        def write(tmp):
            if "sentence" not in next(iter(frames())).columns:
                return real(frames)(tmp)
            Path(tmp).write_bytes(b"PAR1 half a file")
            raise error
        return write
    return writer


def test_a_failed_write_leaves_the_previous_outputs_whole(finished, capsys, monkeypatch):
    before = snapshot(finished)
    monkeypatch.setattr(outputs, "_parquet_writer", failing_parquet(OSError(errno.ENOSPC, "No space left on device")))
    code, err = run(capsys, "--out", finished, "--review-date", "2025-01-01")  # a run with other results
    assert code == 1
    assert err == f"scs-abstract: error: cannot write to output folder {finished}: the disk is full\n"
    assert snapshot(finished) == before  # every earlier file as it was, no temporary file left
    assert sorted(p.name for p in finished.iterdir()) == sorted(OUTPUTS + [".work"])  # (+ checkpoints)


def test_a_failed_write_in_a_new_folder_leaves_no_outputs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(outputs, "_parquet_writer", failing_parquet(OSError(errno.ENOSPC, "No space left on device")))
    out = tmp_path / "out"
    code, err = run(capsys, "--out", out)
    assert code == 1 and "the disk is full" in err
    assert [p.name for p in out.iterdir()] == [".work"]  # the checkpoints, for --resume; no output file


def test_the_report_written_in_a_second_process_is_the_same_page(finished, tmp_path):
    from pipeline.outputs.report.render import load_result
    result = load_result(finished)
    one, two = tmp_path / "one", tmp_path / "two"
    outputs.write_outputs(result, one, processes=1)
    outputs.write_outputs(result, two, processes=2)
    assert snapshot(one) == snapshot(two) and (two / "report.html").stat().st_size > 10_000


@pytest.mark.parametrize("error, message", [
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
    (RuntimeError("a message that might quote a note"), "writing report.html failed (RuntimeError)"),
])
def test_a_failure_in_the_report_process_leaves_the_previous_outputs_whole(finished, monkeypatch, error, message):
    import pipeline.outputs.report.render as report
    from pipeline.outputs.report.render import load_result
    before = snapshot(finished)
    result = load_result(finished)

    def failing(result, path):
        Path(path).write_text("<html>half a page")
        raise error
    monkeypatch.setattr(report, "write_report_file", failing)  # the forked process inherits it
    with pytest.raises((outputs.OutputError, RuntimeError)) as e:
        outputs.write_outputs(result, finished, processes=2)
    assert message in str(e.value) and "quote" not in str(e.value)
    assert snapshot(finished) == before
    assert not list(finished.glob(".*.tmp"))


KILL_IN_WRITE = textwrap.dedent("""
    import os, signal
    from pathlib import Path
    import pipeline.outputs.folder as o
    real = o._parquet_writer
    def writer(frames):
        def write(tmp):
            if "sentence" not in next(iter(frames())).columns:
                return real(frames)(tmp)
            Path(tmp).write_bytes(b"PAR1 half a file")
            os.kill(os.getpid(), signal.SIGKILL)  # killed in the middle of writing the outputs
        return write
    o._parquet_writer = writer
""")

KILL_BETWEEN_RENAMES = textwrap.dedent("""
    import os, signal
    import pipeline.outputs.folder as o
    real, done = os.replace, []
    def replace(a, b):
        real(a, b)
        if not str(b).endswith(".pkl"):  # an output, not a checkpoint
            done.append(b)
        if len(done) == 2:  # review.csv and review.parquet are in place, the rest is not
            os.kill(os.getpid(), signal.SIGKILL)
    o.os.replace = replace
""")


def command(out: Path, *args, prelude: str = "") -> subprocess.CompletedProcess:
    code = prelude + "\nimport sys\nfrom pipeline.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, "run", str(SAMPLES / "notes.csv"), "--out", str(out),
                           *map(str, args)], capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_killed_while_writing_leaves_no_review_that_looks_complete(tmp_path):
    out = tmp_path / "out"
    p = command(out, prelude=KILL_IN_WRITE)
    assert p.returncode == -signal.SIGKILL
    assert not any((out / n).exists() for n in OUTPUTS)  # only hidden temporary files and the checkpoints
    assert all(p.name.startswith(".") for p in out.iterdir())
    # the next run cleans the temporary files up and writes everything
    p = command(out, "--resume")
    assert p.returncode == 0, p.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


def test_killed_while_swapping_in_new_outputs_leaves_no_run_json(finished):
    """run.json is the completion marker: removed before the new files move in, written last."""
    before = snapshot(finished)
    p = command(finished, "--review-date", "2025-01-01", prelude=KILL_BETWEEN_RENAMES)
    assert p.returncode == -signal.SIGKILL
    assert not (finished / "run.json").exists()
    after = snapshot(finished)
    assert after["review.csv"] != before["review.csv"]  # the new table is whole ...
    pd.read_csv(finished / "review.csv")
    assert after["evidence.csv"] == before["evidence.csv"]  # ... the rest still the old run's


# --- unwritable output folders ------------------------------------------------------------------------------

def test_output_folder_under_a_file(tmp_path, capsys):
    """A path that cannot be a folder (works as root too: chmod does not stop root)."""
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / "file.txt" / "out"
    code, err = run(capsys, "--out", out)
    assert code == 1
    assert err == f"scs-abstract: error: cannot write to output folder {out}: a part of the path is a file, " \
                  f"not a folder\n"


def test_output_folder_is_a_file(tmp_path, capsys):
    (tmp_path / "out").write_text("x")
    code, err = run(capsys, "--out", tmp_path / "out")
    assert code == 1 and "cannot write to output folder" in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; see the mocked test below")
def test_read_only_output_folder(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, err = run(capsys, "--out", out)
    finally:
        out.chmod(0o700)
    assert code == 1 and "cannot write to output folder" in err and "permission denied" in err


@pytest.mark.parametrize("err_no, words", [(errno.EROFS, "the file system is read-only"),
                                           (errno.EACCES, "permission denied"),
                                           (errno.ENOSPC, "the disk is full"),
                                           (errno.EDQUOT, "the disk quota is exceeded"),
                                           (errno.EIO, os.strerror(errno.EIO))])
def test_output_write_errors_are_named(tmp_path, capsys, monkeypatch, err_no, words):
    def refuse(*args, **kwargs):
        raise OSError(err_no, os.strerror(err_no), str(tmp_path / "out" / ".review.csv.x.tmp"))
    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    code, err = run(capsys, "--out", tmp_path / "out")
    assert code == 1
    assert err == f"scs-abstract: error: cannot write to output folder {tmp_path / 'out'}: {words}\n"


def test_disk_full_while_checkpointing(tmp_path, capsys, monkeypatch):
    """The checkpoints are written during the run: a full disk there is the same clear error."""
    import pipeline.engines.batch as batch

    def full(path, obj):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(batch, "_save", full)
    code, err = run(capsys, "--out", tmp_path / "out")
    assert code == 1
    assert err == f"scs-abstract: error: cannot write to output folder {tmp_path / 'out'}: the disk is full\n"


def test_unreadable_input_is_an_input_error(tmp_path, capsys):
    notes = tmp_path / "notes.csv"
    notes.mkdir()  # a folder named like a file: no manifest
    code, err = run_notes(capsys, notes, tmp_path / "out")
    assert code == 2 and "needs a manifest" in err


def run_notes(capsys, notes, out, *args):
    code = main(["run", str(notes), "--out", str(out), "--quiet", *map(str, args)])
    return code, capsys.readouterr().err


# --- kill -9 and --resume -----------------------------------------------------------------------------------

COUNT_EXTRACTED = textwrap.dedent("""
    import atexit, sys
    import pipeline.engines.batch as batch
    real, calls = batch._extract_chunk, []
    def counted(notes, patterns_dir, criteria):
        calls.append(len(notes))
        return real(notes, patterns_dir, criteria)
    batch._extract_chunk = counted
    atexit.register(lambda: print(f"EXTRACTED {len(calls)} chunks", file=sys.stderr))
""")


@pytest.fixture(scope="module")
def big_export(tmp_path_factory) -> Path:
    """The samples eight times over (616 notes, 96 patients): 31 chunks of 20, several seconds of work."""
    notes = pd.read_csv(SAMPLES / "notes.csv", dtype=str, keep_default_na=False)
    copies = []
    for k in range(8):
        c = notes.copy()
        c["patient_id"] += f"-c{k}"
        c["note_id"] += f"-c{k}"
        copies.append(c)
    path = tmp_path_factory.mktemp("big") / "notes.csv"
    pd.concat(copies).to_csv(path, index=False)
    return path


def start(notes: Path, out: Path, *args, prelude: str = "") -> subprocess.Popen:
    code = prelude + "\nimport sys\nfrom pipeline.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.Popen([sys.executable, "-c", code, "run", str(notes), "--out", str(out), "--chunk-size", "20",
                             *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)  # its own process group: the run and its workers


def wait_for_chunks(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(list((out / ".work").glob("chunk-*.pkl")))
        if done >= n:
            return done
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.01)
    raise AssertionError("no checkpoint appeared")


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_kill_9_gives_the_same_tables(big_export, tmp_path, capsys, workers):
    out = tmp_path / "killed"
    proc = start(big_export, out, "--workers", workers)
    wait_for_chunks(proc, out, 3)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9 the run and its worker processes
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    saved = len(list((out / ".work").glob("chunk-*.pkl")))
    assert 3 <= saved < 31
    assert not any((out / n).exists() for n in OUTPUTS)  # nothing that looks like a finished run

    resumed = start(big_export, out, "--resume", "--quiet", prelude=COUNT_EXTRACTED)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"EXTRACTED {31 - saved} chunks" in err  # the saved chunks were not extracted again

    ref = tmp_path / "reference"
    code, err = run_notes(capsys, big_export, ref, "--chunk-size", 20)
    assert code == 0, err
    for name in ("review.csv", "evidence.csv", "rejected.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / "review.parquet"), pd.read_parquet(ref / "review.parquet"))
    assert not (out / ".work").exists()


def test_ctrl_c_stops_cleanly_and_resumes(big_export, tmp_path, capsys):
    out = tmp_path / "out"
    proc = start(big_export, out)
    wait_for_chunks(proc, out, 2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().endswith("scs-abstract: interrupted; finished chunks are kept: rerun with --resume to continue")
    assert "Traceback" not in err
    assert not (out / "review.csv").exists()
    code, err = run_notes(capsys, big_export, out, "--chunk-size", 20, "--resume")
    assert code == 0, err


def test_workers_exit_when_the_main_process_is_killed(big_export, tmp_path):
    proc = start(big_export, tmp_path / "out", "--workers", "2")
    try:
        wait_for_chunks(proc, tmp_path / "out", 1)
        proc.kill()  # the main process only, as the OOM killer or `kill -9 PID` would
        proc.wait(timeout=60)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and _group_alive(proc.pid):
            time.sleep(0.1)
        assert not _group_alive(proc.pid), "worker processes still running"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate(timeout=60)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
