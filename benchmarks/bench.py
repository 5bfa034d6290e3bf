"""Throughput and memory benchmark: `scs-abstract run` end to end against medspaCy's default pipeline.

    .venv/bin/python benchmarks/bench.py                  # about 7 minutes on 2 cores
    .venv/bin/python benchmarks/bench.py --export PATH     # any note export as the mixed one
    .venv/bin/python benchmarks/bench.py --large 500000   # the memory run: peak RSS on a 500,000-note export

In one run it
1. builds the exports with benchmarks/generate.py (seeded): relevant notes only, and a
   mixed export where about one note in ten is relevant (or takes --export PATH as the mixed one);
2. times the baseline, medspaCy's default pipeline (`medspacy.load()`: PyRuSH sentences,
   TargetMatcher, ConText, plus the sectionizer, given the project's target rules so it
   does comparable work) on a sample of the same notes: nlp.pipe only, so its reading,
   writing and model loading are not counted (in its favour);
3. runs `scs-abstract run` as a subprocess, reading to writing, on each export with one
   worker and on the mixed one with --workers N, and measures wall time and peak memory
   (the largest process's max RSS from /usr/bin/time -v, and the whole process tree's
   proportional set size, PSS, sampled every 0.2 s). Every timing is the best of --repeat runs
   (default 3, the runs of the different configurations interleaved), the usual estimate of what
   CPU-bound code takes on a machine whose other load comes and goes; memory is the largest of them;
4. times one note of dense relevant text (a chart pasted whole into one note) at --dense sizes, and renders a
   development set as faxed packets (benchmarks/packets.py: text layer and 200 dpi scans read by OCR);
5. scores the development sets (data/samples, tests/data/*, and each --dev FOLDER) against their gold tables;
6. prints the commands it ran and a table: chars/s, notes/s, ratio to the baseline, peak RSS.

Files go to --work (default: a new temporary folder); nothing under the repository.
Note text is never printed.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import generate  # noqa: E402


class Measure(NamedTuple):
    name: str
    notes: int
    chars: int
    seconds: float
    max_rss_mb: float | None    # the largest single process
    tree_rss_mb: float | None   # all processes of the run together (PSS, sampled)
    baseline_cps: float | None  # the baseline's chars/s on the same notes
    before_write_mb: float | None = None  # tree PSS peak before the outputs are written (read, extract, score)

    @property
    def cps(self) -> float:
        return self.chars / self.seconds

    @property
    def nps(self) -> float:
        return self.notes / self.seconds


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "scs-abstract"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("scs-abstract")
    return [found] if found else [sys.executable, "-m", "pipeline.cli.main"]


def _export_size(path: Path) -> tuple[int, int]:
    """(notes, characters of note text), read in chunks."""
    from pipeline.io.exports import iter_chunks
    notes = chars = 0
    for chunk in iter_chunks(path, 20_000):
        notes += len(chunk.frame)
        chars += int(chunk.frame["text"].fillna("").astype(str).str.len().sum()) if "text" in chunk.frame else 0
    return notes, chars


def _sample_texts(path: Path, n: int) -> list[str]:
    from pipeline.io.exports import iter_chunks
    for chunk in iter_chunks(path, n):
        return ["" if t is None else str(t) for t in chunk.frame["text"].tolist()]
    return []


def baseline_nlp():
    """medspaCy's default pipeline with its sectionizer, and the project's target rules."""
    import medspacy
    from medspacy.target_matcher import TargetRule
    from pipeline.resources import default_patterns_dir
    from pipeline.nlp.build import read_rules
    nlp = medspacy.load(medspacy_enable=["medspacy_tokenizer", "medspacy_pyrush", "medspacy_target_matcher",
                                         "medspacy_context", "medspacy_sectionizer"])
    matcher = nlp.get_pipe("medspacy_target_matcher")
    for p in sorted(Path(default_patterns_dir()).glob("targets*.json")):
        matcher.add(read_rules(p, "target_rules", TargetRule))
    return nlp


def run_baseline(nlp, texts: list[str]) -> tuple[float, int, int]:
    """(seconds, notes, chars) of nlp.pipe over the texts."""
    list(nlp.pipe(texts[:5]))  # warm
    t = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return time.perf_counter() - t, len(texts), sum(map(len, texts))


def best(runs: list[Measure]) -> Measure:
    """The fastest of repeated runs of one configuration, with the largest memory any of them took."""
    fastest = min(runs, key=lambda r: r.seconds)

    def peak(field):
        values = [getattr(r, field) for r in runs if getattr(r, field) is not None]
        return max(values) if values else None
    return fastest._replace(max_rss_mb=peak("max_rss_mb"), tree_rss_mb=peak("tree_rss_mb"),
                            before_write_mb=peak("before_write_mb"))


class _TreeSampler(threading.Thread):
    """Peak of the summed memory of a process and its descendants, sampled: proportional set size
    (PSS), so pages a forked worker shares with its parent are counted once, not once per process."""

    def __init__(self, pid: int, every: float = 0.2, out_dir: Path | None = None):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.stop = pid, every, 0, threading.Event()
        self.out_dir, self.before_write = out_dir, 0

    def run(self):
        try:
            import psutil
        except ImportError:
            self.peak = None
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += _pss(p)
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak = max(self.peak, total)
            if self.out_dir is not None and not self._writing():
                self.before_write = max(self.before_write, total)
            self.stop.wait(self.every)

    def _writing(self) -> bool:
        """Output files (or their temporary files) have appeared: the run is writing its outputs."""
        try:
            return any(p.name != ".work" for p in self.out_dir.iterdir())
        except OSError:
            return False


def _pss(process) -> int:
    try:
        return process.memory_full_info().pss
    except AttributeError:  # no PSS on this platform
        return process.memory_info().rss


def run_project(name: str, args: list[str], notes: int, chars: int, baseline_cps: float | None,
                commands: list[str]) -> Measure:
    cmd = _cli() + args
    commands.append(shlex.join(cmd))
    timed = ["/usr/bin/time", "-v"] + cmd if os.path.exists("/usr/bin/time") else cmd
    out_dir = Path(args[args.index("--out") + 1]) if "--out" in args else None
    if out_dir is not None and out_dir.exists():
        shutil.rmtree(out_dir)  # a fresh folder, so the sampler can tell when the outputs start
    t = time.perf_counter()
    proc = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = _TreeSampler(proc.pid, out_dir=out_dir)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"bench: `{shlex.join(cmd)}` exited {proc.returncode}:\n" + err[-2000:])
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    max_rss = int(m.group(1)) / 1024 if m else None
    tree = sampler.peak / 2 ** 20 if sampler.peak else None
    before = sampler.before_write / 2 ** 20 if sampler.before_write else None
    return Measure(name, notes, chars, seconds, max_rss, tree, baseline_cps, before)


def dense_check(work: Path, commands: list[str], sizes: list[float], seed: int) -> list[str]:
    """One note of dense relevant text at each size: seconds per MB, the largest size's time against the
    smallest's (linear time: at most about their size ratio), and peak memory."""
    rows = []
    for mb in sizes:
        export = work / f"dense-{mb:g}MB.csv"
        s = generate.write_dense(export, int(mb * 1_000_000), seed)
        rows.append((mb, run_project(f"one dense note, {mb:g} MB", ["run", str(export), "--out",
                                                                   str(work / f"out-dense-{mb:g}"), "--quiet"],
                                     1, s.chars, None, commands)))
    lines = [f"dense note {mb:g} MB: {m.seconds:.1f} s ({m.seconds / mb:.1f} s per MB), "
             f"max RSS {_fmt(m.max_rss_mb, '.0f')} MB" for mb, m in rows]
    if len(rows) > 1:
        (mb0, m0), (mb1, m1) = rows[0], rows[-1]
        lines.append(f"dense note {mb1:g} MB takes {m1.seconds / m0.seconds:.1f}x the {mb0:g} MB time "
                     f"({mb1 / mb0:g}x the text)")
    return lines


def packets_check(work: Path, dev: str, workers: int) -> list[str]:
    """benchmarks/packets.py on a development set: its lines (determinations as the CSV's, pages per second)."""
    import contextlib
    import io
    import packets
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        packets.main([dev, "--work", str(work / "packets"), "--workers", str(workers)])
    return ["packets: " + line.strip() for line in out.getvalue().splitlines() if not line.startswith("work folder")]


DEV_SETS = [ROOT / "data" / "samples", *sorted(d for d in (ROOT / "tests" / "data").iterdir() if d.is_dir())]


def dev_check(work: Path, commands: list[str], extra: list[str] = ()) -> list[str]:
    """Each development set run end to end and scored against its gold table (the audit's summary line)."""
    lines = []
    for dev in [*DEV_SETS, *map(Path, extra)]:
        if not all((dev / n).is_file() for n in ("notes.csv", "cases.csv", "gold_review.csv")):
            continue
        out = work / f"dev-{dev.name}"
        cmd = _cli() + ["run", str(dev / "notes.csv"), "--cases", str(dev / "cases.csv"), "--out", str(out),
                        "--quiet"]
        commands.append(shlex.join(cmd))
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        audit = _cli() + ["audit", "--gold", str(dev / "gold_review.csv"), "--review", str(out / "review.csv"),
                          "--out", str(out / "audit")]
        commands.append(shlex.join(audit))
        res = subprocess.run(audit, check=True, capture_output=True, text=True)
        summary = [line for line in res.stdout.splitlines() if line.startswith("determination ")]
        lines.append(f"{dev.name}: {summary[-1] if summary else ''}")
    return lines


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def table(rows: list[Measure], baselines: list[tuple[str, float, int, int]]) -> list[str]:
    out = [f"{'run':<34} {'notes':>8} {'chars':>12} {'wall s':>8} {'chars/s':>11} {'notes/s':>9} "
           f"{'x base':>7} {'max RSS MB':>10} {'tree PSS MB':>11}"]
    for name, secs, n, c in baselines:
        out.append(f"{name:<34} {n:>8} {c:>12} {secs:>8.1f} {c / secs:>11,.0f} {n / secs:>9.1f} {'1.0':>7} "
                   f"{'-':>10} {'-':>11}")
    for r in rows:
        ratio = r.cps / r.baseline_cps if r.baseline_cps else None
        out.append(f"{r.name:<34} {r.notes:>8} {r.chars:>12} {r.seconds:>8.1f} {r.cps:>11,.0f} {r.nps:>9.1f} "
                   f"{_fmt(ratio, '>7.1f')} {_fmt(r.max_rss_mb, '>10.0f')} {_fmt(r.tree_rss_mb, '>11.0f')}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", help="folder for the exports and outputs (default: a new temporary folder)")
    p.add_argument("--notes", type=int, default=100_000, help="notes in the mixed export (default 100000)")
    p.add_argument("--relevant", type=float, default=0.1, help="relevant fraction of the mixed export (default 0.1)")
    p.add_argument("--relevant-notes", type=int, default=4_000, help="notes in the relevant-only export (default 4000)")
    p.add_argument("--baseline-notes", type=int, default=300, help="notes the baseline is timed on, per export")
    p.add_argument("--workers", type=int, default=2, help="workers for the parallel run (default 2)")
    p.add_argument("--export", help="use this export as the mixed one (any note export)")
    p.add_argument("--dev", action="append", default=[], metavar="FOLDER",
                   help="another development set (notes.csv, cases.csv, gold_review.csv) to score")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="runs of each timing, the best one counts (default 3)")
    p.add_argument("--large", type=int, metavar="N", help="only the memory run: an N-note mixed export, streamed")
    p.add_argument("--large-workers", type=int, default=2, help="workers for the --large run (default 2)")
    p.add_argument("--packets", default=str(ROOT / "data" / "samples"), metavar="DIR",
                   help="development set rendered as faxed packets, text layer and scanned (default data/samples; '' "
                        "for none): determinations against its CSV run, and pages per second")
    p.add_argument("--dense", default="1,4,10", metavar="MB,...",
                   help="sizes of the one-note exports of dense relevant text, in MB (default 1,4,10; '' for none)")
    a = p.parse_args(argv)
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="scs-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    commands: list[str] = []
    lines: list[str] = [f"work folder: {work}"]

    if a.large:
        export = work / f"large-{a.large}.csv"
        if not export.exists():
            t = time.perf_counter()
            s = generate.write_export(export, a.large, a.relevant, a.seed)
            lines.append(f"generated {export.name}: {s.notes} notes ({s.relevant} relevant), {s.chars} chars, "
                         f"{s.bytes / 2 ** 20:.0f} MB in {time.perf_counter() - t:.0f} s")
        notes, chars = _export_size(export)
        r = run_project(f"large mixed, --workers {a.large_workers}",
                        ["run", str(export), "--out", str(work / "out-large"), "--quiet",
                         "--workers", str(a.large_workers)], notes, chars, None, commands)
        lines += ["", "commands:"] + [f"  {c}" for c in commands] + [""] + table([r], [])
        lines.append(f"peak memory: largest process {_fmt(r.max_rss_mb, '.0f')} MB (max RSS), all processes "
                     f"together {_fmt(r.tree_rss_mb, '.0f')} MB (PSS), for {notes} notes ({chars / 1e6:.0f} M "
                     f"characters); before writing the outputs (reading, extraction, scoring): all processes "
                     f"together {_fmt(r.before_write_mb, '.0f')} MB (PSS)")
        print("\n".join(lines))
        return 0

    relevant = work / "relevant.csv"
    s = generate.write_export(relevant, a.relevant_notes, 1.0, a.seed)
    lines.append(f"relevant-only export: {s.notes} notes, {s.chars} chars (generate.py --relevant 1.0 --seed {a.seed})")
    if a.export:
        mixed = Path(a.export)
        lines.append(f"mixed export: {mixed} (given)")
    else:
        mixed = work / "mixed.csv"
        s = generate.write_export(mixed, a.notes, a.relevant, a.seed + 1)
        lines.append(f"mixed export: {s.notes} notes ({s.relevant} relevant), {s.chars} chars "
                     f"(generate.py --relevant {a.relevant} --seed {a.seed + 1})")
    rel_n, rel_c = _export_size(relevant)
    mix_n, mix_c = _export_size(mixed)

    nlp = baseline_nlp()
    samples = _sample_texts(relevant, a.baseline_notes), _sample_texts(mixed, a.baseline_notes)
    b_rel, b_mix = (min(run_baseline(nlp, texts) for _ in range(a.repeat)) for texts in samples)  # the fastest
    del nlp
    base_rel, base_mix = b_rel[2] / b_rel[0], b_mix[2] / b_mix[0]
    baselines = [("medspaCy default, relevant sample", *b_rel), ("medspaCy default, mixed sample", *b_mix)]

    configs = [
        ("scs-abstract, relevant only", ["run", str(relevant), "--out", str(work / "out-relevant"), "--quiet"],
         rel_n, rel_c, base_rel),
        ("scs-abstract, mixed", ["run", str(mixed), "--out", str(work / "out-mixed"), "--quiet"],
         mix_n, mix_c, base_mix),
        (f"scs-abstract, mixed, --workers {a.workers}",
         ["run", str(mixed), "--out", str(work / f"out-mixed-w{a.workers}"), "--quiet", "--workers", str(a.workers)],
         mix_n, mix_c, base_mix),
    ]
    runs: list[list[Measure]] = [[] for _ in configs]
    for k in range(a.repeat):  # interleaved, so a slow spell of the machine falls on every configuration
        for config, measures in zip(configs, runs):
            measures.append(run_project(*config, commands if k == 0 else []))
    rows = [best(measures) for measures in runs]
    same = all((work / "out-mixed" / f).read_bytes() == (work / f"out-mixed-w{a.workers}" / f).read_bytes()
               for f in ("review.csv", "evidence.csv"))
    dense = dense_check(work, commands, [float(x) for x in a.dense.split(",") if x.strip()], a.seed)
    dense += packets_check(work, a.packets, a.workers) if a.packets else []
    dev = dev_check(work, commands, a.dev)

    lines += ["", "commands:"] + [f"  {c}" for c in commands] + [""] + table(rows, baselines)
    lines.append(f"wall s: the best of {a.repeat} runs each")
    lines.append(f"--workers {a.workers} vs 1 worker: {rows[1].seconds / rows[2].seconds:.2f}x; "
                 f"review.csv and evidence.csv identical: {same}")
    lines += dense
    lines += [f"development set {d}" for d in dev]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
