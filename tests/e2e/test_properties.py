"""Properties that hold for any input (hypothesis): readers and normalizers never raise on arbitrary
text, values stay in range, and every row of an export is accounted for.

Text is drawn from the words the rules look for (so the normalizers are reached) mixed with numbers,
punctuation, line breaks and arbitrary characters. Examples are kept few so the file runs in well
under a minute.
"""
import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pipeline
from pipeline.engines.batch import run_batch
from pipeline.io.dates import find_date_ranges, find_dates, parse_date
from pipeline.errors import InputError
from pipeline.io.exports import iter_chunks, read_cases, validate
from pipeline.extract.notes import classify_note, extract, mentions_from_doc
from pipeline.extract.registry import NORMALIZERS, NOTE_EXTRACTORS
from pipeline.scoring.policy import load_policy
from pipeline.records import Finding, Modifier, Note, Target
from pipeline.engines.tables import score_cases
from pipeline.io.scratch import NoteIdIndex

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=40)

WORDS = [
    "ODI", "Oswestry", "Oswestry Disability Index", "modified Oswestry", "disability index", "%", "percent", "/50",
    "out of 50", ">=", "<", "at least", "relief", "pain relief", "improvement", "better", "SCS trial", "trial",
    "stimulator", "the stim", "leads", "removed", "placed", "7-day", "72 hours", "day", "PT", "physical therapy",
    "formal PT", "home exercise program", "HEP", "chiropractic", "massage", "weeks", "wks", "months", "x", "2x/week",
    "completed", "attended", "course of", "psych", "psychological evaluation", "behavioral health", "cleared",
    "clearance", "not cleared", "not a candidate", "deferred", "pending", "referred for", "scheduled", "will",
    "FBSS", "failed back surgery syndrome", "post-laminectomy syndrome", "laminectomy", "fusion", "L4-5", "L5-S1",
    "back pain", "leg pain", "radiculopathy", "neck", "ACDF", "from", "to", "down to", "->", "/10", "VAS", "NRS",
    "mm", "since", "ago", "last month", "a year ago", "spring", "early", "2019", "2025", "01/06/2025", "6/2",
    "2024-13-45", "02/30/2025", "12/31/1899", "through", "-", ":", "___", "[ ]", "***", "not", "no", "denies",
    "mother", "Family history:", "History:", "Plan:", "Assessment:", "\n", "\r\n", ". ", ", ", ";", "(", ")",
    "oxycodone", "gabapentin", "MME", "reduced", "50% less", "in half", "off all opioids", "conservative care",
    "for 2 years", "opioid use disorder", "in remission", "addiction medicine", "seventy", "forty-four", "eight",
    "half", "0", "100", "999", "0.5", "1e5", "\x00", "\t", "é", "≥", "→", "–",
]
NOTE_TYPES = ["Pain Management Progress Note", "SCS Trial Follow-up", "PT Daily Note", "Physical Therapy Progress Note",
              "Psychological Evaluation", "Spine Surgery Consult", ""]

num = st.one_of(st.integers(0, 1000), st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 1)))
# phrases with numbers where the normalizers read them: scores, percents, pairs, durations, dates
phrases = st.one_of(
    st.builds("ODI {} {}".format, num, st.sampled_from(["", "%", "/50", "/100", "out of 50", "percent"])),
    st.builds("{}% {}".format, num, st.sampled_from(["relief", "improvement", "less oxycodone", "reduction"])),
    st.builds("{}-{}% relief".format, num, num),
    st.builds("pain {}/10 {} {}/10".format, st.integers(0, 11), st.sampled_from(["to", "->", "down to", "-->"]),
              st.integers(0, 11)),
    st.builds("VAS {} mm to {} mm".format, num, num),
    st.builds("gabapentin from {} to {} mg".format, num, num),
    st.builds("completed {} {} of PT".format, num, st.sampled_from(["weeks", "months", "wks", "mos"])),
    st.builds("{}-day SCS trial".format, num),
    st.builds("conservative care for {} {}".format, num, st.sampled_from(["months", "years", "weeks", "days"])),
    st.builds("{} {} ago".format, st.integers(0, 99), st.sampled_from(["weeks", "months", "years"])),
    st.builds("{} {:04d}".format, st.sampled_from(["spring", "late", "end of", "Jan", "June", "9/"]),
              st.integers(0, 9999)),
    st.builds("{}/{}/{}".format, st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999)),
    st.builds("PT {} - {}".format, st.dates().map(lambda d: d.strftime("%m/%d/%Y")),
              st.dates().map(lambda d: d.strftime("%m/%d/%Y"))),
    st.builds("trial placed {}/{}, removed {}/{}".format, *[st.integers(0, 40)] * 4),
)
token = st.one_of(st.sampled_from(WORDS), phrases, st.integers(0, 1000).map(str), st.text(max_size=6))
clinical_text = st.lists(token, max_size=40).map(" ".join)
note_dates = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))  # what validate lets through
notes = st.builds(lambda text, ntype, date: Note("P1", "N1", date, ntype, text), clinical_text,
                  st.one_of(st.sampled_from(NOTE_TYPES), st.text(max_size=20)), note_dates)


def check_mention(m, text: str) -> None:
    """A mention's value is in range for its criterion, and its offsets lie inside the note."""
    assert 0 <= m.start <= m.end <= len(text)
    assert 0 <= m.sentence_start <= len(text)
    assert m.date is None or isinstance(m.date, dt.date)
    assert m.date_end is None or (isinstance(m.date_end, dt.date) and m.date is not None and m.date <= m.date_end)
    v = m.value
    if v is None:
        return
    assert v == v  # not NaN
    if m.criterion == "odi" and m.label == "score":
        assert 0 <= v <= 100
    elif m.criterion == "trial":
        assert 0 <= v <= 100
    elif m.criterion == "pt":
        assert v >= 0
    elif m.criterion == "trial_length":
        assert 0 < v <= 60
    elif m.criterion == "conservative":
        assert v >= 0


def check_review(review: pd.DataFrame) -> None:
    for col, lo, hi in (("odi_score", 0, 100), ("trial_relief_pct", 0, 100), ("pt_weeks", 0, float("inf"))):
        values = review[col].dropna()
        assert ((values >= lo) & (values <= hi)).all(), (col, list(values))
    assert set(review["determination"]) <= {"criteria_met", "criteria_not_met", "insufficient_documentation"}


POLICIES = ["scs-permanent", "scs-trial", "aetna-cpb-0194", "cigna-evicore-cmm-211", "medicare-l37632"]


@SETTINGS
@given(note=notes, review_offset=st.integers(-400, 400))
def test_any_text_through_the_nlp_never_raises_and_values_stay_in_range(nlp, note, review_offset):
    for prefilter in (True, False):
        ms = list(extract([note], prefilter=prefilter))
        for m in ms:
            check_mention(m, note.text)
    review_date = note.note_date + dt.timedelta(days=review_offset)
    for name in POLICIES:
        review, evidence = score_cases(ms, {"P1": review_date}, load_policy(name))
        check_review(review)
        assert len(evidence) == len(ms)


@SETTINGS
@given(note=notes)
def test_mentions_from_doc_on_the_whole_note(nlp, note):
    for m in mentions_from_doc(nlp(note.text), note, classify_note(note)):
        check_mention(m, note.text)


CATEGORIES = ["NEGATED_EXISTENCE", "HYPOTHETICAL", "HISTORICAL", "FAMILY", "PLANNED", "REQUIREMENT",
              "TEMPLATE_BLANK", "SCS_TRIAL", "OTHER_TREATMENT", "PSYCH_CUE", "SUD_ACTIVE", "SUD_TREATED"]
METADATA = [{}, {"kind": "syndrome"}, {"kind": "surgery"}, {"needs_spine_context": True}, {"form": "trial"},
            {"form": "day"}, {"form": "removed"}, {"polarity": "clear"}, {"polarity": "barrier"},
            {"only_negated": True}]
CLASSES = st.frozensets(st.sampled_from(["pt_visit", "psych_eval", "scs_trial", "scs_context"]))


@st.composite
def targets(draw, category):
    """A target of `category` anywhere in an arbitrary sentence, with arbitrary modifiers and metadata.

    Like a TargetMatcher span, it holds at least one token (some non-space text)."""
    sentence = draw(clinical_text.filter(str.strip))
    sent_start = draw(st.integers(0, 50))
    a = draw(st.integers(0, len(sentence) - 1))
    b = draw(st.integers(a + 1, len(sentence)))
    assume(sentence[a:b].strip())
    mods = tuple(Modifier(c, sent_start + draw(st.integers(0, len(sentence))),
                          sent_start + draw(st.integers(0, len(sentence))))
                 for c in draw(st.lists(st.sampled_from(CATEGORIES), max_size=3)))
    return Target(category, sentence[a:b], sent_start + a, sent_start + b, sentence, sent_start, "", mods,
                  draw(st.sampled_from(METADATA)), draw(note_dates), draw(CLASSES))


@pytest.mark.parametrize("category", sorted(NORMALIZERS))
def test_each_normalizer_on_arbitrary_targets(category):
    reg = NORMALIZERS[category]

    @FEW
    @given(t=targets(category))
    def run(t):
        for f in reg.func(t):
            assert isinstance(f, Finding)
            m = pipeline.records.Mention("P", "N", t.note_date, "", reg.criterion, f.label, f.value, f.unit, f.date,
                                         f.date_end, False, False, False, False, 0, 0, "", 0)
            check_mention(m, "")
    run()


@pytest.mark.parametrize("func", [f for c in sorted(NOTE_EXTRACTORS) for f in NOTE_EXTRACTORS[c]],
                         ids=lambda f: f.__name__)
def test_each_note_extractor_on_arbitrary_notes(func):

    @FEW
    @given(note=notes, classes=CLASSES)
    def run(note, classes):
        for f, sentence, s, e in func(note, classes):
            assert 0 <= s <= e <= len(note.text) and isinstance(sentence, str)
            assert f.value is None or f.value >= 0
    run()


# --- dates -----------------------------------------------------------------------------------------------------

date_like = st.one_of(
    st.from_regex(r"\A\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}( \d{1,2}:\d{2}( ?[AP]M)?)?\Z"),
    st.from_regex(r"\A(jan|feb|sept|may|dec)\.? \d{1,2},? \d{1,4}\Z"),
    st.from_regex(r"\A\d{8}\Z"), st.text(max_size=30))


@SETTINGS
@given(value=date_like)
def test_parse_date_never_raises_and_stays_in_1900_2100(value):
    d = parse_date(value)
    assert d is None or (isinstance(d, dt.date) and 1900 <= d.year <= 2100)


@SETTINGS
@given(text=st.one_of(clinical_text, date_like, st.text()),
       ref=st.one_of(st.none(), st.dates(), st.sampled_from([dt.date.min, dt.date(1, 3, 1), dt.date.max])),
       yearless=st.booleans())
def test_find_dates_never_raises(text, ref, yearless):
    for d in find_dates(text, ref, yearless=yearless):
        assert 0 <= d.start < d.end <= len(text) and 1950 <= d.date.year <= 2100
    for r in find_date_ranges(text, ref):
        assert r.first <= r.last


# --- readers ---------------------------------------------------------------------------------------------------

csv_ish = st.lists(st.one_of(st.sampled_from([",", '"', "\n", "\r\n", "\r", "\x00", "\t", ";", "{", "}", ":",
                                              "patient_id", "note_id", "note_date", "text", "2025-01-01", "ODI 40%",
                                              '""', "\ufeff", "é"]),
                             st.text(max_size=5)), max_size=50).map("".join)
HEADER = "patient_id,note_id,note_date,text\n"


@SETTINGS
@given(body=st.one_of(csv_ish, csv_ish.map(lambda s: HEADER + s), st.binary(max_size=300)),
       ext=st.sampled_from([".csv", ".tsv", ".jsonl", ".csv.gz", ".parquet"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]), chunk_size=st.integers(1, 4))
def test_readers_take_anything_and_account_for_every_row(body, ext, encoding, chunk_size):
    """Any file: either an InputError with a message, or chunks whose rows all end up notes or rejects."""
    import gzip
    data = body if isinstance(body, bytes) else body.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"notes{ext}"
        path.write_bytes(gzip.compress(data) if ext.endswith(".gz") else data)
        try:
            seen, total, rows = NoteIdIndex(), 0, []
            for c in iter_chunks(path, chunk_size):
                assert c.row_offset == total
                read = validate(c.frame, str(path), None, c.row_offset, seen)
                assert read.rows_read == len(c.frame) == len(read.notes) + len(read.rejected)
                rows += list(read.notes["row"]) + list(read.rejected["row"])
                total += read.rows_read
            assert sorted(rows) == list(range(1, total + 1))
        except InputError as e:
            assert str(path) in str(e)
        try:
            read_cases(path)
        except InputError as e:
            assert str(path) in str(e)


# --- whole exports ---------------------------------------------------------------------------------------------

row = st.fixed_dictionaries({
    "patient_id": st.sampled_from(["A", "B", "007", " C ", ""]),
    "note_id": st.one_of(st.sampled_from(["n1", "n2", "n3", "001", "1", ""]), st.text(min_size=1, max_size=4)),
    "note_date": st.one_of(note_dates.map(str), st.sampled_from(["2025-02-30", "03/14/2025", "13/01/2025", "",
                                                                 "soon", "1899-12-31"])),
    "note_type": st.sampled_from(NOTE_TYPES),
    "text": clinical_text,
})


def write_export(rows: list[dict], path: Path) -> None:
    cols = ["patient_id", "note_id", "note_date", "note_type", "text"]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".parquet":
        pd.DataFrame(rows, columns=cols).to_parquet(path, index=False)
    else:
        buf = io.StringIO()
        w = csv.DictWriter(buf, cols, lineterminator="\r\n")  # so a field with a bare \r is quoted
        w.writeheader()
        w.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")


@FEW
@given(rows=st.lists(row, min_size=1, max_size=12), ext=st.sampled_from([".csv", ".jsonl", ".parquet"]),
       chunk_size=st.integers(1, 5))
def test_every_row_of_an_export_is_a_note_or_a_reject(rows, ext, chunk_size):
    assume(all("\x00" not in v for r in rows for v in r.values()))
    df = pd.DataFrame(rows)
    mem = pipeline.review(df)
    c = mem.run["counts"]
    assert c["rows_read"] == len(rows) == c["notes_processed"] + c["rows_rejected"]
    check_review(mem.review)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"notes{ext}"
        write_export(rows, path)
        batch = run_batch(path, Path(d) / "out", chunk_size=chunk_size, quiet=True)
        b = batch.run["counts"]
        assert b["rows_read"] == len(rows) == b["notes_processed"] + b["rows_rejected"]
        assert (b["notes_processed"], b["rows_rejected"]) == (c["notes_processed"], c["rows_rejected"])
        assert list(batch.rejected["row"]) == list(mem.rejected["row"])
        pd.testing.assert_frame_equal(batch.review, mem.review)  # read from the run's folder
