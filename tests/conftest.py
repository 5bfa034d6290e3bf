import datetime as dt
from pathlib import Path

import pytest

from pipeline.nlp.build import cached_nlp
from pipeline.records import Note

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="session")
def nlp():
    return cached_nlp()


def make_note(text, note_type="Pain Management Progress Note", date="2025-03-10", pid="P1", nid="P1-N1"):
    return Note(pid, nid, dt.date.fromisoformat(date), note_type, text)


def mentions_of(nlp, text, criterion, note_type="Pain Management Progress Note", date="2025-03-10"):
    """The mentions of one criterion the real pipeline finds in `text`, written as one note."""
    from pipeline.extract.notes import classify_note, mentions_from_doc
    note = make_note(text, note_type=note_type, date=date)
    return [m for m in mentions_from_doc(nlp(note.text), note, classify_note(note)) if m.criterion == criterion]


def counted(ms, label):
    """Mentions with `label` that count as documentation: not negated, planned or about family."""
    return [m for m in ms if m.label == label and not (m.negated or m.hypothetical or m.family)]

