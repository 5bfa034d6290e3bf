"""report.html and the `report` command: escaping, highlights, thresholds, why a mention was not used,
rebuilding from an output folder, a 10,000-case run, the page in headless Chromium, and the analyst's notebook."""
import datetime as dt
import json
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import pipeline
from pipeline.cli.main import main
from pipeline.outputs.folder import write_outputs
from pipeline.scoring.policy import load_policy
from pipeline.records import EVIDENCE_COLUMNS
from pipeline.outputs.report.render import load_result, render_report
from pipeline.engines.tables import ReviewResult
from pipeline.scoring.contract import REVIEW_COLUMNS

from conftest import ROOT, SAMPLES

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INJECTION = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"><b>bold</b>"

# a small note set through the real pipeline; N1 carries markup next to real findings
BUILT_NOTES = pd.DataFrame([
    ("P1", "P1-N1", "2025-01-10", "Pain Management Progress Note",
     "HPI: 58 y/o s/p L4-5 laminectomy with persistent low back and left leg pain.\n"
     f"ODI 46% today. {INJECTION}\n"
     "Oswestry: ___\n"
     "Plan: will repeat ODI at the next visit; psych evaluation to be scheduled.\n"),
    ("P1", "P1-N2", "2025-02-20", "Pain Management Progress Note",
     "SCS trial follow-up, day 7: he reports 60% relief of his leg pain with the trial.\n"
     "Prior ESI gave about 30% relief for two weeks.\n"
     "Psychological evaluation completed 02/01/2025: cleared for spinal cord stimulator.\n"),
    ("P2", "P2-N1", "2025-03-03", "Pain Management Progress Note",
     "Post-laminectomy syndrome, lumbar, with ongoing radicular pain.\nODI not obtained today.\n"
     "Mother had chronic back pain and depression.\n"),
], columns=["patient_id", "note_id", "note_date", "note_type", "text"])


# --- helpers ------------------------------------------------------------------------------------------
DATA_BLOCK = re.compile(r"<script type='application/json' id='([\w-]+)'>(.*?)</script>", re.S)


def page_data(page: str) -> tuple[dict, list[dict]]:
    """The page's embedded JSON: the summary, and each case's detail in case order."""
    blocks = dict(DATA_BLOCK.findall(page))
    summary = json.loads(blocks.pop("summary-data"))
    summary["cases"] = [row for k in range(summary.pop("parts")) for row in json.loads(blocks[f"c-{k}"])]
    return summary, [json.loads(blocks[f"d-{i}"]) for i in range(len(summary["cases"]))]


def js_slice(s: str, a: int, b: int) -> str:
    """String.prototype.slice on UTF-16 offsets, as the page's script does it."""
    return s.encode("utf-16-le")[2 * a:2 * b].decode("utf-16-le")


def highlights(page: str) -> dict[tuple, str]:
    """(patient_id, criterion, sentence, used) -> the highlighted words, as the page would show them."""
    summary, details = page_data(page)
    out = {}
    for case, d in zip(summary["cases"], details):
        for ci, used, _ni, _sec, _label, _what, si, hs, he, _ri in d["e"]:
            s = d["s"][si]
            out.setdefault((case[0], summary["criteria"][ci]["name"], s, bool(used)), set()).add(
                js_slice(s, hs, he) if hs >= 0 else "")
    return out


def default_run(**policy_overrides) -> dict:
    pol = load_policy()
    info = {"name": pol.name, "path": pol.path, "sha256": pol.sha256, "source": pol.source}
    info.update(policy_overrides)
    return {"package": "scs-abstract", "version": pipeline.__version__, "policy": info,
            "counts": {"rows_read": 0, "notes_processed": 0, "rows_rejected": 0}}


def synthetic(n_cases: int, per_case: int = 12, run: dict | None = None) -> ReviewResult:
    """A review of `n_cases` invented cases with `per_case` mentions each, built without the NLP."""
    det = ("criteria_met", "criteria_not_met", "insufficient_documentation")
    review, evidence = [], []
    rd = dt.date(2025, 6, 30)
    for i in range(n_cases):
        pid = f"P{i:05d}"
        d = det[i % 3]
        review.append({"patient_id": pid, "review_date": rd, "indication_status": "met",
                       "odi_score": 20.0 + i % 60, "odi_date": dt.date(2025, 3, 1), "odi_note_id": f"{pid}-N2",
                       "odi_status": "met" if 20 + i % 60 >= 21 else "not_met",
                       "trial_relief_pct": 62.5, "trial_note_id": f"{pid}-N5", "trial_status": "met",
                       "pt_weeks": 8.3, "pt_first_date": dt.date(2024, 12, 2), "pt_last_date": dt.date(2025, 1, 29),
                       "pt_status": "met", "psych_clearance": "cleared", "psych_note_id": f"{pid}-N4",
                       "psych_status": "insufficient" if d == "insufficient_documentation" else "met",
                       "determination": d, "missing": "psych" if d == "insufficient_documentation" else ""})
        for j in range(per_case):
            crit = ("indication", "odi", "trial", "pt", "psych")[j % 5]
            sentence = (f"Visit {j} for {pid}: ODI {20 + (i + j) % 60}% today; reports {40 + j}% relief of the "
                        f"radicular leg pain since the L4-5 laminectomy, PT twice weekly continues.")
            start = sentence.index("ODI")
            evidence.append((pid, f"{pid}-N{j % 7 + 1}", dt.date(2025, 1 + j % 6, 1 + j), "hpi", crit,
                             "score" if crit == "odi" else "mention", 20.0 + (i + j) % 60, "%", None, None,
                             j % 4 == 1, j % 5 == 2, False, False, j % 3 == 0, 1000 + start, 1000 + start + 7,
                             sentence, 1000))
    rev = pd.DataFrame(review, columns=REVIEW_COLUMNS)
    ev = pd.DataFrame(evidence, columns=EVIDENCE_COLUMNS)
    return ReviewResult(rev, ev, pd.DataFrame(), default_run() if run is None else run)


def one_case(evidence_rows: list[dict], run: dict | None = None, **review) -> ReviewResult:
    """A single case P1 (review date 2025-06-30) with the given evidence rows."""
    row = {c: None for c in REVIEW_COLUMNS}
    row.update({"patient_id": "P1", "review_date": dt.date(2025, 6, 30), "determination": "criteria_not_met",
                "missing": "", **{f"{c}_status": "met" for c in ("indication", "odi", "trial", "pt", "psych")}})
    row.update(review)
    defaults = {"patient_id": "P1", "note_id": "P1-N1", "note_date": dt.date(2025, 3, 1), "section": "hpi",
                "label": "mention", "value": None, "unit": "", "date": None, "date_end": None, "negated": False,
                "hypothetical": False, "historical": False, "family": False, "used": False,
                "start": 0, "end": 3, "sentence_start": 0}
    ev = pd.DataFrame([{**defaults, **r} for r in evidence_rows], columns=EVIDENCE_COLUMNS)
    return ReviewResult(pd.DataFrame([row], columns=REVIEW_COLUMNS), ev, pd.DataFrame(),
                        default_run() if run is None else run)


def sample_inputs() -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """The bundled samples, else the built notes."""
    for folder in (SAMPLES,):
        if (folder / "notes.csv").is_file() and (folder / "cases.csv").is_file():
            return pd.read_csv(folder / "notes.csv"), pd.read_csv(folder / "cases.csv"), folder.name
    return BUILT_NOTES, None, "built notes"


@pytest.fixture(scope="module")
def built_result():
    return pipeline.review(BUILT_NOTES)


@pytest.fixture(scope="module")
def sample_result():
    notes, cases, _ = sample_inputs()
    return pipeline.review(notes, cases=cases)


# --- escaping -----------------------------------------------------------------------------------------
def test_note_markup_renders_as_text(built_result):
    page = render_report(built_result)
    assert "<script>window" not in page and "<img" not in page and "<b>bold" not in page
    # the only script elements are the page's own: the data cannot close its block
    assert page.count("</script>") == page.count("<script")
    assert page.count("<script>") == 1  # the page's code; the data blocks are type='application/json'
    summary, details = page_data(page)
    assert any(INJECTION in s for d in details for s in d["s"])  # the text itself is kept, as text
    used_odi = highlights(page)
    assert any(k[1] == "odi" and INJECTION in k[2] and "ODI 46%" in v for k, v in used_odi.items())


def test_markup_in_ids_and_policy_is_escaped(tmp_path):
    policy = yaml.safe_load((ROOT / "patterns" / "policies" / "scs-permanent.yaml").read_text())
    policy["title"] = "<i>strict</i> & <script>x()</script>"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(policy))
    pol = load_policy(path)
    result = one_case([{"criterion": "odi", "sentence": "ODI 40%", "used": True, "patient_id": "<b>P1</b>"}],
                      run=default_run(path=str(path), sha256=pol.sha256, source="</dd><script>y()</script>"),
                      patient_id="<b>P1</b>")
    page = render_report(result)
    assert "<i>strict" not in page and "<script>x()" not in page and "<script>y()" not in page
    assert "&lt;i&gt;strict&lt;/i&gt; &amp; &lt;script&gt;" in page
    assert "<b>P1" not in page
    assert page_data(page)[0]["cases"][0][0] == "<b>P1</b>"


# --- highlights ---------------------------------------------------------------------------------------
def test_highlight_is_the_matched_words(sample_result):
    page = render_report(sample_result)
    shown = highlights(page)
    ev = sample_result.evidence
    assert len(ev) and ev["used"].any()
    for m in ev.itertuples():
        expected = m.sentence[m.start - m.sentence_start:m.end - m.sentence_start]
        assert expected.strip(), m.note_id
        assert expected in shown[(m.patient_id, m.criterion, m.sentence, bool(m.used))]


def test_highlight_offsets_count_utf16_units():
    sentence = "Pain \U0001F622 better: ODI 30% today, caf\u00e9 visit."
    start = sentence.index("ODI")
    result = one_case([{"criterion": "odi", "label": "score", "value": 30.0, "used": True, "sentence": sentence,
                        "start": 500 + start, "end": 500 + start + 7, "sentence_start": 500}])
    (key, words), = highlights(render_report(result)).items()
    assert words == {"ODI 30%"}


def test_offsets_outside_the_sentence_do_not_highlight():
    result = one_case([{"criterion": "odi", "sentence": "ODI 30%", "start": 50, "end": 60, "sentence_start": 0},
                       {"criterion": "odi", "sentence": "ODI 31%", "start": None, "end": None,
                        "sentence_start": None}])
    assert {frozenset(v) for v in highlights(render_report(result)).values()} == {frozenset({""})}


# --- policy and thresholds ----------------------------------------------------------------------------
def test_policy_name_source_and_thresholds_are_shown(tmp_path, built_result):
    page = render_report(built_result)
    summary, _ = page_data(page)
    req = {c["name"]: c["req"] for c in summary["criteria"]}
    assert "21 %" in req["odi"] and "50 %" in req["trial"] and "6 weeks" in req["pt"] and "12 months" in req["pt"]
    assert "scs-permanent" in page and "Documentation checklist of the review contract" in page
    assert built_result.run["policy"]["sha256"][:16] in page

    policy = yaml.safe_load((ROOT / "patterns" / "policies" / "scs-permanent.yaml").read_text())
    policy["name"] = "odi-30"
    next(c for c in policy["criteria"] if c["name"] == "odi")["min_score"] = 30
    path = tmp_path / "odi30.yaml"
    path.write_text(yaml.safe_dump(policy))
    stricter = pipeline.review(BUILT_NOTES, policy=str(path))
    page = render_report(stricter)
    assert "ODI \u2265 30 %" in page_data(page)[0]["criteria"][1]["req"]
    assert "odi-30" in page and str(path) in page and "has changed" not in page

    path.write_text(path.read_text() + "\n# edited after the run\n")
    assert "has changed since this run" in render_report(stricter)


def test_unknown_policy_shows_no_thresholds():
    page = render_report(one_case([], run=default_run(name="gone", path="/nonexistent/gone.yaml", sha256="x")))
    assert "could not be loaded" in page
    assert all(c["req"] == "" for c in page_data(page)[0]["criteria"])
    page = render_report(one_case([], run={}))
    assert "names no policy" in page


def test_requirements_of_combined_and_unknown_scorers():
    from pipeline.outputs.report.render import requirement
    assert requirement("any_of", {"of": ["trial_relief", "odi"], "min_relief_pct": 50, "min_score": 30}) == (
        "any of: pain relief \u2265 50 % in the most recent SCS trial, as a number | "
        "ODI \u2265 30 %, the most recent on or before the review date")
    assert requirement("trial_length", {"min_days": 3, "max_days": 7}) == "trial length: min days 3; max days 7"


def test_review_columns_go_to_the_criterion_with_the_longest_name():
    result = one_case([])
    result.review["trial_relief_status"] = "met"
    result.review["analgesic_note_id"] = "N4"
    result.review["analgesic_reduction_status"] = "insufficient"
    summary, _ = page_data(render_report(result))
    fields = {c["name"]: c["fields"] for c in summary["criteria"]}
    assert fields["trial"] == ["note"] and fields["trial_relief"] == ["relief"]
    assert fields["analgesic_reduction"] == ["note"]
    assert [c["label"] for c in summary["criteria"]].count("Trial relief") == 1


def test_pt_window_is_shown_per_case():
    _, (d,) = page_data(render_report(one_case([])))
    assert d["w"][3] == "window 2024-06-30 to 2025-06-30"


# --- mentions not used --------------------------------------------------------------------------------
@pytest.mark.parametrize("row, why", [
    ({"criterion": "odi", "label": "score", "value": 30.0, "negated": True}, "negated"),
    ({"criterion": "odi", "label": "score", "value": 30.0, "hypothetical": True}, "hypothetical or planned"),
    ({"criterion": "odi", "label": "template_blank"}, "blank template field"),
    ({"criterion": "odi", "label": "threshold", "value": 21.0}, "a policy threshold"),
    ({"criterion": "odi", "label": "score", "value": 30.0}, "older or superseded"),
    ({"criterion": "odi", "label": "score", "value": 30.0, "note_date": dt.date(2025, 7, 2)}, "after the review"),
    ({"criterion": "trial", "label": "other_treatment", "value": 80.0}, "another treatment"),
    ({"criterion": "trial", "label": "unattributed", "value": 80.0}, "not attributed to the SCS trial"),
    ({"criterion": "trial", "label": "relief", "value": 80.0, "historical": True}, "historical"),
    ({"criterion": "pt", "label": "pt_visit", "date": dt.date(2024, 1, 5)}, "older than the 12-month window"),
    ({"criterion": "pt", "label": "nonformal"}, "not formal PT"),
    ({"criterion": "psych", "label": "cleared", "family": True}, "family member"),
    ({"criterion": "psych", "label": "mention"}, "without an outcome"),
])
def test_unused_mentions_say_why(row, why):
    page = render_report(one_case([{"sentence": "Some sentence.", **row}]))
    summary, (d,) = page_data(page)
    (m,) = d["e"]
    assert m[1] == 0 and why in summary["reasons"][m[9]]


def test_used_mentions_come_first_and_newest_first():
    rows = [{"criterion": "odi", "label": "score", "value": v, "used": u, "note_id": n, "note_date": d,
             "sentence": f"ODI {v:g}%"} for v, u, n, d in
            [(30.0, False, "N1", dt.date(2025, 1, 1)), (40.0, True, "N3", dt.date(2025, 5, 1)),
             (35.0, False, "N2", dt.date(2025, 3, 1))]]
    _, (d,) = page_data(render_report(one_case(rows)))
    assert [(d["n"][m[2]][0], m[1]) for m in d["e"]] == [("N3", 1), ("N2", 0), ("N1", 0)]


def test_mentions_of_a_criterion_the_review_did_not_score_are_listed_apart():
    summary, (d,) = page_data(render_report(one_case([{"criterion": "bmi", "label": "value", "sentence": "BMI 31"}])))
    assert summary["criteria"][-1] == {"name": "bmi", "label": "Bmi", "req": "not scored in this review",
                                       "scored": False, "fields": []}
    assert d["e"][0][0] == len(summary["criteria"]) - 1


# --- scs-abstract report OUT_DIR ----------------------------------------------------------------------
def test_report_command_rebuilds_the_same_page(tmp_path, capfd):
    notes = tmp_path / "notes.csv"
    BUILT_NOTES.to_csv(notes, index=False)
    out = tmp_path / "out"
    assert main(["run", str(notes), "--out", str(out)]) == 0
    first = (out / "report.html").read_text(encoding="utf-8")
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    again = (out / "report.html").read_text(encoding="utf-8")
    assert page_data(again) == page_data(first)  # from the CSVs, the same cases, values, evidence and reasons
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no temp file left
    captured = capfd.readouterr()
    for text in BUILT_NOTES.text:
        for line in text.splitlines():
            assert line.strip() not in captured.out + captured.err


def test_report_command_needs_the_run_files(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "review.csv").write_text("patient_id,determination\nP1,criteria_met\n")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "evidence.csv" in err and "run.json" in err and "review.csv" not in err.split("report needs")[0]
    assert not (tmp_path / "report.html").exists()


def test_report_command_keeps_the_old_page_on_bad_input(tmp_path, capsys):
    write_outputs(one_case([{"criterion": "odi", "sentence": "ODI 30%"}]), tmp_path)
    before = (tmp_path / "report.html").read_bytes()
    (tmp_path / "run.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    assert "run.json: not readable JSON" in capsys.readouterr().err
    (tmp_path / "run.json").write_text("{}")
    pd.read_csv(tmp_path / "evidence.csv").drop(columns=["sentence"]).to_csv(tmp_path / "evidence.csv", index=False)
    assert main(["report", str(tmp_path)]) == 2
    assert "missing column(s) sentence" in capsys.readouterr().err
    assert (tmp_path / "report.html").read_bytes() == before


def test_report_rebuilt_a_few_cases_at_a_time_is_the_page_run_wrote(tmp_path, monkeypatch):
    """The rebuild reads the folder's CSVs a few cases at a time; evidence.csv in another order of cases
    (read whole then) gives the same page."""
    import pipeline.outputs.report.render as report
    out = tmp_path / "out"
    assert main(["run", str(SAMPLES / "notes.csv"), "--cases", str(SAMPLES / "cases.csv"), "--out", str(out),
                 "--quiet"]) == 0
    first = page_data((out / "report.html").read_text(encoding="utf-8"))
    monkeypatch.setattr(report, "REBUILD_ROWS", 5)  # 12 cases: three ranges
    result = load_result(out)
    assert [len(r) for r, _ in result.parts()] == [5, 5, 2]
    assert sum(len(e) for _, e in result.parts()) == len(pd.read_csv(out / "evidence.csv"))
    assert page_data(render_report(result)) == first
    ev = pd.read_csv(out / "evidence.csv", dtype=str, keep_default_na=False)
    cases_reversed = (ev.assign(k=ev["patient_id"].map({p: -i for i, p in enumerate(ev["patient_id"].unique())}))
                      .sort_values("k", kind="stable").drop(columns="k"))
    cases_reversed.to_csv(out / "evidence.csv", index=False)
    assert page_data(render_report(load_result(out))) == first
    monkeypatch.setattr(report, "REBUILD_MENTIONS", 30)  # ranges cut by mentions too
    for evidence in (cases_reversed, ev):  # read whole, then streamed
        evidence.to_csv(out / "evidence.csv", index=False)
        parts = list(load_result(out).parts())
        assert len(parts) > 3 and all(len(e) <= 30 or len(r) == 1 for r, e in parts)
        assert [p for r, _ in parts for p in r["patient_id"]] == list(pd.read_csv(out / "review.csv")["patient_id"])
        assert page_data(render_report(load_result(out))) == first
    stray = pd.concat([ev, ev.iloc[:1].assign(patient_id="NOT-A-CASE")])  # a mention of no case: not shown
    stray.to_csv(out / "evidence.csv", index=False)
    assert page_data(render_report(load_result(out))) == first


def test_report_command_reads_ids_as_text(tmp_path):
    result = one_case([{"criterion": "odi", "sentence": "ODI 30%", "patient_id": "007", "note_id": "0012"}],
                      patient_id="007")
    write_outputs(result, tmp_path)
    summary, (d,) = page_data(render_report(load_result(tmp_path)))
    assert summary["cases"][0][0] == "007" and d["n"][0][0] == "0012"


# --- large runs ---------------------------------------------------------------------------------------
def test_10000_cases_render_fast_and_small(tmp_path):
    t0 = time.perf_counter()
    result = synthetic(10_000, per_case=12)
    t1 = time.perf_counter()
    page = render_report(result)
    t2 = time.perf_counter()
    size = len(page.encode("utf-8"))
    sentence_bytes = result.evidence["sentence"].str.len().sum()
    print(f"\n10,000 cases, {len(result.evidence):,} mentions: built in {t1 - t0:.1f}s, rendered in {t2 - t1:.1f}s, "
          f"{size / 1e6:.1f} MB ({size / 10_000:.0f} bytes per case, sentences {sentence_bytes / 1e6:.1f} MB)")
    # the cards and table rows are built in the browser: the static markup holds no per-case element
    assert page.count("<details") == 0 and page.count("<tr>") < 20
    assert page.count("<script type='application/json'") == 10_002  # a case each, the summary rows, the summary
    # the sentences once, plus a bounded overhead per mention (ids, offsets, note, reason) and per case
    assert size < sentence_bytes * 1.1 + len(result.evidence) * 120 + 10_000 * 300
    assert t2 - t1 < 120  # generous: measured ~2-4 s on a 2-core machine
    (tmp_path / "report.html").write_text(page, encoding="utf-8")


# --- the page in headless Chromium --------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install chromium); the browser tests need it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    requests = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "about:"))
            else None)
    t0 = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    return page, errors, requests, time.perf_counter() - t0


def test_browser_sample_report(browser, sample_result, tmp_path):
    write_outputs(sample_result, tmp_path)
    page, errors, requests, _ = open_page(browser, tmp_path / "report.html")
    review, ev = sample_result.review, sample_result.evidence
    n = len(review)
    assert page.locator("#summary-body tr").count() == min(n, 100)
    assert page.locator("#shown").inner_text().endswith(f"of {n} case{'s' if n != 1 else ''}")

    # open a case from its summary row: the card expands and shows the evidence the scorer used
    pid = ev[ev.used].patient_id.iloc[0]
    page.locator("#summary-body a", has_text=pid).first.click()
    card = page.locator(f"details.card[id='case-{pid}']")
    page.wait_for_selector(f"details.card[id='case-{pid}'][open]", timeout=10_000)  # opened on hashchange
    used = ev[(ev.patient_id == pid) & ev.used]
    mark = card.locator(".crit > .ev mark").first
    mark.wait_for(state="visible")
    expected = {s[a - b:e - b] for s, a, e, b in zip(used.sentence, used.start, used.end, used.sentence_start)}
    assert mark.inner_text() in expected
    quote = card.locator(".crit > .ev blockquote").first.inner_text()
    assert any(quote.strip() == s.strip() for s in used.sentence)
    page.screenshot(path=str(tmp_path / "report-case.png"), full_page=True)

    # unused mentions say why, once opened
    if len(ev[(ev.patient_id == pid) & ~ev.used]):
        card.locator("details.unused > summary").first.click()
        assert card.locator("details.unused[open] .why").first.is_visible()

    # sorting by clicking a header, filtering by determination
    page.locator("#summary th[data-key='id'] button").click()
    page.locator("#summary th[data-key='id'] button").click()
    first_ids = page.locator("#summary-body tr td:first-child").all_inner_texts()
    assert first_ids[0] == max(review.patient_id, key=lambda s: [int(t) if t.isdigit() else t
                                                                  for t in re.split(r"(\d+)", s)])
    det = review.determination.value_counts().index[-1]
    page.select_option("#filter-det", det)
    shown = page.locator("#summary-body tr td:nth-child(3)").all_inner_texts()
    assert len(shown) == (review.determination == det).sum()
    assert set(shown) == {det.replace("_", " ")}
    page.screenshot(path=str(tmp_path / "report-filtered.png"))
    assert errors == [] and requests == []
    assert (tmp_path / "report-case.png").stat().st_size > 10_000


def test_browser_shows_markup_as_text(browser, built_result, tmp_path):
    write_outputs(built_result, tmp_path)
    page, errors, requests, _ = open_page(browser, tmp_path / "report.html")
    page.goto((tmp_path / "report.html").resolve().as_uri() + "#case-P1")
    card = page.locator("details.card[id='case-P1']")
    card.locator(".card-body").wait_for()
    page.locator("#expand").click()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = card.inner_text()
    assert INJECTION in text
    assert page.evaluate("window.__pwned") is None
    assert card.locator("script, img").count() == 0 and card.locator("b", has_text="bold").count() == 0
    assert errors == [] and requests == []


def test_browser_10000_cases_stay_usable(browser, tmp_path):
    (tmp_path / "report.html").write_text(render_report(synthetic(10_000, per_case=12)), encoding="utf-8")
    page, errors, _, load_s = open_page(browser, tmp_path / "report.html")
    assert page.locator("#summary-body tr").count() == 100
    assert page.locator("#shown").inner_text() == "Showing 1\u2013100 of 10000 cases"
    t0 = time.perf_counter()
    page.locator("#summary th[data-key='1'] button").click()  # sort by ODI
    page.select_option("#filter-det", "criteria_not_met")
    page.locator("#last").click()
    interact_s = time.perf_counter() - t0
    assert page.locator("#page-of").inner_text() == "page 34 of 34"
    page.evaluate("location.hash = '#case-P09999'")  # a case filtered out and on another page
    card = page.locator("details.card[id='case-P09999']")
    card.locator(".crit").first.wait_for()
    assert card.get_attribute("open") is not None
    # it was filtered out: the filter is cleared, the sort kept, and the table shows the page that holds it
    assert page.locator("#shown").inner_text().endswith("of 10000 cases")
    assert page.locator("#filter-det").input_value() == ""
    assert page.locator("#summary-body a", has_text="P09999").count() == 1
    print(f"\n10,000-case page: loaded in {load_s:.1f}s, sort+filter+page in {interact_s:.2f}s")
    assert load_s < 60 and interact_s < 20  # generous: measured ~1-3 s and well under 1 s
    assert errors == []


# --- the analyst's notebook ---------------------------------------------------------------------------
def test_notebook_runs():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / "review_a_chart.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()  # as Jupyter runs it
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    changed = re.search(r"(\d+) of (\d+) determinations change", text)
    assert changed and int(changed.group(1)) > 0, text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "class=\"entities\"" in html  # medspaCy's visualizer drew the notes
