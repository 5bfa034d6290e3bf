"""The pre-filter skips text, never results."""
import pandas as pd
import pytest

import pipeline
from pipeline.io.exports import read_cases, read_table
from pipeline.extract.notes import classify_note, extract
from pipeline.nlp.prefilter import window
from conftest import SAMPLES, make_note


def _read_notes(folder):
    from pipeline.io.exports import validate
    from pipeline.engines.memory import _notes
    return _notes(validate(read_table(folder / "notes.csv"), str(folder)).notes)


@pytest.fixture(scope="module")
def sample_notes():
    return _read_notes(SAMPLES)


def test_window_keeps_the_sentences_that_matter_and_maps_back_to_note_offsets():
    text = ("Flu shot given today. Tolerated well.\nHPI: Lot number 33RT9. Observed 15 min.\n"
            "Reports 70% relief with the SCS trial.\nVitals stable. ODI 44% today.")
    w = window(text)
    assert "Flu shot" not in w.text and "Lot number" not in w.text and "Vitals" not in w.text
    for kept in ("Reports 70% relief with the SCS trial.", "ODI 44% today.", "HPI:"):
        i = w.text.index(kept)
        assert w.note_offset(i) == text.index(kept)
        assert text[w.note_offset(i):w.note_offset(i) + len(kept)] == kept
    assert len(w.text) < len(text) / 2


def test_section_headers_come_along_only_when_a_section_rule_can_read_them():
    text = "Lot number 33RT9.\nImpression: stable.\nRandom words: more.\nODI 44% today."
    w = window(text)
    assert w.text.startswith("Impression:\n") and "Random words" not in w.text and "stable" not in w.text


def test_the_sentences_and_sections_of_a_window_are_those_of_the_note():
    from pipeline.nlp.build import cached_nlp
    note = make_note("Flu shot given today.\nHPI: lot 33RT9 noted. Trial went well.\nShe reports 70% relief "
                     "with the SCS trial. Tolerated well.\nPlan: ice.\nODI 44% today.")
    fast = extract([note], prefilter=True)
    slow = extract([note], prefilter=False)
    assert sorted(fast) == sorted(slow) and len(list(extract([note]))) >= 2
    nlp = cached_nlp()
    doc = nlp(window(note.text).text)
    assert {e.label_: e._.section_category for e in doc.ents}["TRIAL_RELIEF"] == "hpi"


@pytest.mark.parametrize("text", [
    "Influenza vaccine 0.5 mL IM given. No reaction. Pain 3/10 at the injection site, decreased after ice.",
    "Seborrheic keratosis treated with cryotherapy; improved appearance expected.",
    "",
])
def test_irrelevant_notes_are_not_read(text):
    assert window(text) is None


def test_a_pt_visit_counts_even_when_no_sentence_needs_the_nlp():
    note = make_note("Visit 4. Ther ex 25 min.", note_type="PT Daily Note")
    assert window(note.text, classify_note(note)) is None
    assert [m.label for m in extract([note])] == ["pt_visit"]


def test_review_and_used_evidence_are_the_same_with_and_without_the_prefilter(sample_notes, monkeypatch):
    full = [m for m in extract(sample_notes, prefilter=False)]
    fast = [m for m in extract(sample_notes, prefilter=True)]
    # every mention the fast path finds is one the full path finds
    assert set(fast) <= set(full)
    cases = read_cases(SAMPLES / "cases.csv")
    import importlib
    review_module = importlib.import_module("pipeline.engines.memory")
    monkeypatch.setattr(review_module, "extract", lambda notes, patterns_dir=None, criteria=None: iter(full))
    slow = pipeline.review(read_table(SAMPLES / "notes.csv"), cases=cases)
    monkeypatch.setattr(review_module, "extract", lambda notes, patterns_dir=None, criteria=None: iter(fast))
    quick = pipeline.review(read_table(SAMPLES / "notes.csv"), cases=cases)
    pd.testing.assert_frame_equal(slow.review, quick.review)
    used = lambda ev: ev[ev.used].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(used(slow.evidence), used(quick.evidence))


def test_a_kept_sentence_after_a_list_number_keeps_its_section_header():
    note = make_note("Spine clinic consultation\n1. History: s/p L5-S1 TLIF (2020) with persistent low back pain.\n"
                     "2. Plan: follow up.")
    fast, slow = list(extract([note], prefilter=True)), list(extract([note], prefilter=False))
    assert fast == slow and {m.section for m in fast if m.criterion == "indication"} == {"hpi"}


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES.parent.parent / "tests" / "data" / "heldout"],
                         ids=["samples", "heldout"])
def test_the_prefilter_only_drops_mentions_that_cannot_count(folder):
    """Every mention of the fast path is one of the full path; what it drops is a cue-dependent
    category's mention without its cue (trial mentions outside the trial's sentences)."""
    notes = _read_notes(folder)
    full, fast = set(extract(notes, prefilter=False)), set(extract(notes, prefilter=True))
    assert fast <= full
    assert {(m.criterion, m.label) for m in full - fast} <= {("trial", "mention"), ("trial", "other_treatment"),
                                                             ("trial", "unattributed")}
    assert len(fast) > 100


def test_a_rule_whose_words_meet_only_across_paragraphs_does_not_make_a_note_worth_reading():
    from pipeline.nlp.prefilter import can_count
    apart = "Abdomen non-tender, non-distended.\n\nPlan: surgical consult.\n\nWound care as before."
    together = "Tried non-surgical care for a year without relief."
    assert not can_count(apart)
    assert can_count(together)
    # a sentence wrapped over lines of one paragraph still counts (the shape reader joins it)
    assert can_count("Six months of non-\nsurgical\ncare failed.")


def test_a_policy_reads_only_the_criteria_it_scores(sample_notes):
    from pipeline.scoring.policy import load_policy
    everything = list(extract(sample_notes))
    default = load_policy()
    payer = load_policy("aetna-cpb-0194")
    for pol in (default, payer):
        read = list(extract(sample_notes, criteria=pol.criterion_names))
        wanted = [m for m in everything if m.criterion in pol.criterion_names]
        assert {m.criterion for m in read} <= pol.criterion_names and set(read) <= set(wanted)
        # what is no longer read is only what could not count (a sentence kept for another criterion's rule)
        assert {(m.criterion, m.label) for m in set(wanted) - set(read)} <= {
            ("trial", "mention"), ("trial", "other_treatment"), ("trial", "unattributed")}
    assert {m.criterion for m in everything} - default.criterion_names  # the default policy does skip some


def test_a_word_hyphenated_across_lines_completes_a_rule_for_a_policy_that_reads_only_its_criteria():
    import datetime as dt
    from pipeline.records import Note
    text = "Overall the stimulator trial produced a 65% re-\nduction in her pain."
    note = Note("p", "n", dt.date(2025, 1, 1), "", text)
    read = [m for m in extract([note], criteria={"trial"}) if m.label == "relief"]
    assert [m.value for m in read] == [65.0]


def _records_packet() -> str:
    """A long note of many visits under one section header, as a pasted assessment log runs."""
    visits = [f"Date of service: 03/{i % 28 + 1:02d}/2024\nPatient tolerated treatment well. ODI {30 + i}% today.\n\n"
              "Reports 70% relief with the SCS trial.\n\n" + "Exercise log reviewed with the patient.\n" * 5
              for i in range(40)]
    return "Assessment:\n" + "\n".join(visits)


def test_a_long_note_is_read_in_blocks_with_the_same_mentions_as_read_whole(monkeypatch):
    import pipeline.nlp.prefilter as prefilter
    note = make_note(_records_packet())
    win = window(note.text)
    cut = prefilter.blocks(win, size=300)
    assert len(cut) > 5 and all(len(b.text) <= 500 for b in cut)
    for b in cut:  # every block maps back to the note, character for character, past its carried header
        i = b.text.index("\n") + 1 if b is not cut[0] else 0
        line = b.text[i:b.text.index("\n", i)]
        assert note.text[b.note_offset(i):b.note_offset(i) + len(line)] == line
    whole = sorted(extract([note]))
    monkeypatch.setattr(prefilter, "BLOCK_CHARS", 300)
    assert sorted(extract([note])) == whole and len(whole) > 20
    assert {m.section for m in whole if m.criterion == "odi"} == {"assessment"}
