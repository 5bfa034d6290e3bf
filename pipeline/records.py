"""Typed records passed between reading, extraction and scoring."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Optional


class Note(NamedTuple):
    """One validated input row."""
    patient_id: str
    note_id: str
    note_date: dt.date
    note_type: str
    text: str


class Modifier(NamedTuple):
    """A ConText modifier linked to a target, with its character offsets in the note."""
    category: str
    start: int
    end: int


class Target(NamedTuple):
    """What a normalizer sees: one TargetMatcher span in its sentence and note."""
    category: str
    text: str
    start: int
    end: int
    sentence: str
    sent_start: int
    section: str
    modifiers: tuple[Modifier, ...]
    metadata: dict
    note_date: dt.date
    note_classes: frozenset
    following: str = ""  # the next sentence (persisting pain is often written right after the surgery)
    preceding: str = ""  # the sentence before ("Before the trial her pain averaged 8/10. With the stimulator ...")

    def has(self, *categories: str) -> bool:
        return any(m.category in categories for m in self.modifiers)


class Finding(NamedTuple):
    """A normalizer's reading of a target: a typed value (or none) and what kind of mention it is."""
    label: str
    value: Optional[float] = None
    unit: str = ""
    date: Optional[dt.date] = None
    date_end: Optional[dt.date] = None
    start: Optional[int] = None  # character span of the value in the note; defaults to the target's
    end: Optional[int] = None


class Mention(NamedTuple):
    """One row of evidence.csv (before the scorer sets `used`)."""
    patient_id: str
    note_id: str
    note_date: dt.date
    section: str
    criterion: str
    label: str
    value: Optional[float]
    unit: str
    date: Optional[dt.date]
    date_end: Optional[dt.date]
    negated: bool
    hypothetical: bool
    historical: bool
    family: bool
    start: int
    end: int
    sentence: str
    sentence_start: int  # offset of `sentence` in the note, so start/end can be highlighted inside it
    note_classes: frozenset = frozenset()


EVIDENCE_COLUMNS = ["patient_id", "note_id", "note_date", "section", "criterion", "label", "value", "unit",
                    "date", "date_end", "negated", "hypothetical", "historical", "family", "used",
                    "start", "end", "sentence", "sentence_start"]
