import datetime as dt
from pathlib import Path

import pytest

from pipeline.nlp import cached_nlp
from pipeline.records import Note

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="session")
def nlp():
    return cached_nlp()


def make_note(text, note_type="Pain Management Progress Note", date="2025-03-10", pid="P1", nid="P1-N1"):
    return Note(pid, nid, dt.date.fromisoformat(date), note_type, text)
