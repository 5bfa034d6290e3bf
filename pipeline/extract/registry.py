"""Normalizers: from a matched span to a typed value, one module per criterion.

Each is registered for the TargetMatcher categories it reads, and for the
review criterion its findings belong to. Note-level extractors (findings that
come from what a note *is*, such as a PT visit's date of service) register too.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from pipeline.records import Finding, Note, Target


class Registered(NamedTuple):
    criterion: str
    func: Callable[[Target], list[Finding]]


HEADER_LINE = 120  # characters of a note's first line read as its head (a dictated first line may run on)
NORMALIZERS: dict[str, Registered] = {}
NOTE_EXTRACTORS: dict[str, list[Callable[[Note, frozenset], list[tuple[Finding, str, int, int]]]]] = {}


def normalizer(*categories: str, criterion: str):
    """Register `func(target) -> [Finding]` for TargetMatcher `categories`."""
    def deco(func):
        for c in categories:
            NORMALIZERS[c] = Registered(criterion, func)
        return func
    return deco


def note_extractor(criterion: str):
    """Register `func(note, note_classes) -> [(Finding, sentence, start, end)]` for findings about a whole note
    (a criterion may have several)."""
    def deco(func):
        NOTE_EXTRACTORS.setdefault(criterion, []).append(func)
        return func
    return deco


