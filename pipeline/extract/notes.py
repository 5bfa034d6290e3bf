"""Per-note extraction: run the nlp, hand each target to its criterion's normalizer, keep the evidence.

This is the per-partition work of a batch run: it needs only the notes and the
rules, never the other notes of the patient.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from pipeline.resources import default_patterns_dir
from pipeline.nlp.build import cached_nlp
from pipeline.nlp.prefilter import PARAGRAPH_BREAK, Window, blocks, can_count, window
from pipeline.nlp.shapes import ocr_damaged, read_shapes
from pipeline.extract import (analgesic, conservative, indication, odi, psych, pt,  # noqa: F401  (registration)
                              substance_use, trial, trial_length)
from pipeline.extract.registry import HEADER_LINE, NORMALIZERS, NOTE_EXTRACTORS
from pipeline.records import Finding, Mention, Modifier, Note, Target

FLAG_CATEGORIES = {
    "negated": ("NEGATED_EXISTENCE",),
    "hypothetical": ("HYPOTHETICAL", "PLANNED", "REQUIREMENT"),
    "historical": ("HISTORICAL",),
    "family": ("FAMILY",),
}
FAMILY_SECTIONS = {"family_history"}
WHOLE_NOTE_CLASSES = frozenset({"scs_trial", "pt_visit"})  # notes the whole-note readers (tables, logs) read
# "Policy MV-212: ODI of 21% or greater; ...", "Payer criteria: ...", "Plan requires: ...", "Criteria per ...:",
# "Clinical Policy CP-117 (Dorsal Column Stimulation) requires at least 50% relief ... and a psychological evaluation"
_REQUIREMENT_LIST = re.compile(r"^\W*(?:[\w/-]+\s+){0,5}(?:criteria|requirements?|requires|policy(?:\s+[\w-]*\d[\w-]*)?)"
                               r"(?:\s+(?:per|of|for)\s+[^:]{0,60})?\s*:|"
                               r"^\W*(?:[\w/&-]+\s+){0,4}(?:policy|guidelines?|criteria|LCD|NCD)\b[^.;:]{0,60}?\b(?:requires?|mandates?)\b",
                               re.I)


@lru_cache(maxsize=4)
def load_note_classes(patterns_dir: str | None = None) -> tuple[tuple, ...]:
    """Note classes (PT visit, psych evaluation, SCS trial, SCS context) from `note_classes.json`:
    each matched on the note type, the first lines, or (`text`) anywhere in the note; a class may name the
    classes it `overrides` (a consultation written as a letter is no restatement), and a `header_unless` that
    its first lines must not match (video visits still to come do not make this visit one)."""
    path = Path(patterns_dir or default_patterns_dir()) / "note_classes.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    out = []
    for item in data["note_classes"]:
        unknown = set(item) - {"name", "description", "note_type", "header", "header_unless", "text", "overrides"}
        if unknown:
            raise ValueError(f"{path}: note class {item.get('name')!r} has unknown keys {sorted(unknown)}")
        out.append((item["name"], *(re.compile(item[k], re.I | re.M) if item.get(k) else None
                                    for k in ("note_type", "header")),
                    _whole_text_search(item["text"]) if item.get("text") else None,
                    frozenset(item.get("overrides", ())),
                    re.compile(item["header_unless"], re.I | re.M) if item.get("header_unless") else None))
    return tuple(out)


class _LowerSearch(NamedTuple):
    """A case-insensitive search run as a plain one over the lower-cased text: Python's `re` is about
    twice as fast so, and this one reads every note whole."""
    regex: re.Pattern

    def search(self, text: str):
        return self.regex.search(text.lower())


def _whole_text_search(pattern: str):
    bare = re.sub(r"\\.", "", pattern)  # without its escapes (\w, \s, \b ...)
    if re.search(r"[A-Z]|\(\?[a-zA-Z-]*[:)]", bare):  # upper-case letters or inline flags: keep re.I
        return re.compile(pattern, re.I | re.M)
    return _LowerSearch(re.compile(pattern, re.M))


@lru_cache(maxsize=4096)
def _classes_by_type(note_type: str, patterns_dir: str | None) -> frozenset:
    """The classes a note type names (an export holds few note types, each read once)."""
    return frozenset(name for name, by_type, *_ in load_note_classes(patterns_dir) if by_type and by_type.search(note_type))


def classify_note(note: Note, patterns_dir: str | None = None) -> frozenset:
    """The classes a note belongs to, from its note_type or its first lines (those with words: a fax header
    the shape reader blanked is none)."""
    header = "\n".join([line[:HEADER_LINE] for line in note.text[:600].splitlines() if line.strip()][:3])
    typed = _classes_by_type(note.note_type or "", patterns_dir)
    low = None  # the note lower-cased once, for every class read over the whole text
    found = []
    for name, _, by_header, by_text, overrides, unless in load_note_classes(patterns_dir):
        if name in typed or (by_header and by_header.search(header) and not (unless and unless.search(header))):
            found.append((name, overrides))
        elif by_text is not None:
            if isinstance(by_text, _LowerSearch):
                low = note.text.lower() if low is None else low
                hit = by_text.regex.search(low)
            else:
                hit = by_text.search(note.text)
            if hit:
                found.append((name, overrides))
    overridden = frozenset().union(*(o for _, o in found))
    return frozenset(name for name, _ in found if name not in overridden)


def _target(ent, note: Note, classes: frozenset, win: Window) -> Target:
    """The span in note offsets (the doc holds the window's text)."""
    doc, sent = ent.doc, ent.sent
    at = win.note_offset
    mods = tuple(Modifier(m.category, at(doc[m.modifier_span[0]].idx),
                          at(doc[m.modifier_span[1] - 1].idx + len(doc[m.modifier_span[1] - 1])))
                 for m in ent._.modifiers)
    rule = getattr(ent._, "target_rule", None)
    return Target(ent.label_, ent.text, at(ent.start_char), at(ent.end_char), sent.text, at(sent.start_char),
                  _section(ent, note, at), mods, dict(getattr(rule, "metadata", None) or {}), note.note_date, classes,
                  _next_sentence(note.text, at(sent.start_char + max(len(sent.text.rstrip()) - 1, 0)) + 1),
                  _previous_sentence(note.text, at(sent.start_char)))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")


def _previous_sentence(text: str, at: int) -> str:
    """The note's sentence before offset `at`, on the same paragraph, read from the note itself."""
    head = text[max(0, at - 400):at].rstrip()
    if not head or head.endswith("\n\n") or "\n\n" in text[max(0, at - 2):at]:
        return ""
    ends = list(_SENTENCE_END.finditer(head))
    cut = ends[-2].end() if len(ends) >= 2 and ends[-1].end() >= len(head) else (ends[-1].end() if ends else 0)
    return head[cut:].strip()


def _next_sentence(text: str, at: int) -> str:
    """The note's next sentence after offset `at`, read from the note itself (the nlp may not have read it)."""
    rest = text[at:at + 400]
    start = len(rest) - len(rest.lstrip())
    end = _SENTENCE_END.search(rest, start)
    return rest[start:end.start() if end else len(rest)]


_RELATIVE = re.compile(r"\b(?:mother|father|mom|dad|brothers?|sisters?|siblings?|sons?|daughters?|aunts?|uncles?|grand\w*|"
                       r"cousins?|parents?|family|familial|maternal|paternal|wife|husband|spouse|relatives?|nieces?|"
                       r"nephews?|twins?|fhx?|hereditary|no\s+known|noncontributory|non-contributory)\b", re.I)


def _section(ent, note: Note, at) -> str:
    """The entity's section; a family history ends at its paragraph's end (a flowsheet or exam value under a
    "Family History:" line, after a blank line, is not about the family)."""
    category = ent._.section_category or ""
    title = getattr(ent._, "section_title", None) if category in FAMILY_SECTIONS else None
    if title is not None:
        start = at(ent.start_char)
        line = note.text[note.text.rfind("\n", 0, start) + 1:note.text.find("\n", start) % (len(note.text) + 1)]
        if PARAGRAPH_BREAK.search(note.text, at(title.end_char), start) or \
                (note.text.rfind("\n", 0, start) >= at(title.end_char) and not _RELATIVE.search(line)):
            return ""  # past the section's paragraph, or a line of its own that names no relative
    return category


def _mention(note: Note, criterion: str, f: Finding, section: str, sentence: str, sent_start: int, start: int,
             end: int, modifiers: Iterable[str] = (), classes: frozenset = frozenset()) -> Mention:
    """The evidence row; its sentence is the note's text as written (the normalizers read it as shaped)."""
    lead = len(sentence) - len(sentence.lstrip())
    sent_start += lead
    # the same span of the note as written (the sentence as the nlp read it may end with a window's join)
    sentence = note.text[sent_start:sent_start + len(sentence.strip())]
    cats = set(modifiers)
    if _REQUIREMENT_LIST.match(sentence):
        cats.add("REQUIREMENT")  # a policy's or form's list of criteria: nothing in it is the patient's
    flags = {k: any(c in cats for c in v) for k, v in FLAG_CATEGORIES.items()}
    flags["family"] = flags["family"] or section in FAMILY_SECTIONS
    return Mention(note.patient_id, note.note_id, note.note_date, section, criterion, f.label, f.value, f.unit,
                   f.date, f.date_end, flags["negated"], flags["hypothetical"], flags["historical"],
                   flags["family"], start if f.start is None else f.start, end if f.end is None else f.end,
                   sentence, sent_start, classes)


def mentions_from_doc(doc, note: Note, classes: frozenset, win: Window | None = None,
                      shaped: Note | None = None, criteria: frozenset | None = None) -> list[Mention]:
    """Every finding of one processed note (of `criteria`, default all), deduplicated per sentence.

    `doc` is the nlp's reading of `win` (default: the whole note) of `shaped`, the note as its shapes
    are read (nlp/shapes.py; default: the note); None when the nlp had nothing to read.
    """
    shaped = shaped or note
    return mentions_from_docs([(doc, win or Window.whole(shaped.text))] if doc is not None else [],
                              note, classes, shaped, criteria)


def mentions_from_docs(read: list, note: Note, classes: frozenset, shaped: Note | None = None,
                       criteria: frozenset | None = None) -> list[Mention]:
    """`mentions_from_doc` for a note the nlp read in blocks: `read` holds each block's (doc, window)."""
    out: list[Mention] = []
    shaped = shaped or note
    for doc, win in read:
        for ent in doc.ents:
            reg = NORMALIZERS.get(ent.label_)
            if reg is None or (criteria is not None and reg.criterion not in criteria):
                continue
            t = _target(ent, shaped, classes, win)
            for f in reg.func(t):
                out.append(_mention(note, reg.criterion, f, t.section, t.sentence, t.sent_start, t.start, t.end,
                                    (m.category for m in t.modifiers), classes))
    for criterion, funcs in NOTE_EXTRACTORS.items():
        if criteria is not None and criterion not in criteria:
            continue
        for func in funcs:
            for f, sentence, s, e in func(shaped, classes):
                out.append(_mention(note, criterion, f, "", sentence, s, s, e, (), classes))
    copied = _copied_forward(shaped.text) if out else []
    if copied:  # text copied forward from an earlier note restates it, as a letter does
        out = [m._replace(note_classes=m.note_classes | {"restatement", "copied_forward"})
               if any(a <= m.start < b for a, b in copied)
               else m for m in out]
    return _dedupe(out)


_COPIED = re.compile(r"\b(?:copied|carried|pulled|brought)\s+forward\b|\bcopy[- ]?forward(?:ed)?\b|"
                     r"\bcopied\s+from\s+(?:the\s+)?(?:prior|previous|last|\d)", re.I)


def _copied_forward(text: str) -> list[tuple[int, int]]:
    """The paragraphs a copy-forward marker heads ("[Copied forward from 06/02/2024 note]: ..."): from the
    marker's line to the paragraph's end."""
    low = text.lower()
    if "forward" not in low and "copied" not in low:  # what every marker holds: most notes hold neither
        return []
    out = []
    for m in _COPIED.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        end = PARAGRAPH_BREAK.search(text, m.end())
        end = end.start() if end else len(text)
        line_end = text.find("\n", m.end())
        rest = text[m.end():len(text) if line_end < 0 else line_end]
        if re.search(r":[ \t]*\S", rest):
            end = min(end, len(text) if line_end < 0 else line_end)  # "Plan list (copied from 11/14): ...": its line
        elif 0 <= line_end < end and rest.rstrip().endswith(":"):
            # a heading ("Problem list (copied forward):") heads its list: the first line that is no item ends it
            at = line_end + 1
            for item in _LIST_ITEM.finditer(text, at, end):
                if item.start() != at:
                    break
                at = item.end() + 1
            end = min(end, max(at - 1, line_end)) if at > line_end + 1 else end
        out.append((start, end))
    return out


_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*\u2022\u00b7\u25aa?>o]|\d{1,2}[.)]|#)[ \t][^\n]*", re.M)


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """One mention per value; a bare anchor is dropped where its sentence already gave that criterion a value."""
    valued = {(m.criterion, m.sentence, m.start) for m in mentions if m.value is not None}
    valued_sentences = {(c, s) for c, s, _ in valued}
    seen, out = set(), []
    for m in mentions:
        key = (m.criterion, m.label, m.value, m.date, m.date_end, m.sentence, m.negated, m.hypothetical, m.family)
        if key in seen:
            continue
        if m.label == "mention" and (m.criterion, m.sentence) in valued_sentences:
            continue
        seen.add(key)
        out.append(m)
    return out


def reading_categories(criteria: Iterable[str] | None) -> frozenset | None:
    """The target categories whose findings count for these criteria (None: every category)."""
    if criteria is None:
        return None
    criteria = set(criteria)
    return frozenset(label for label, reg in NORMALIZERS.items() if reg.criterion in criteria)


def extract(notes: Iterable[Note], patterns_dir: str | None = None, batch_size: int = 64,
            prefilter: bool = True, criteria: Iterable[str] | None = None) -> Iterator[Mention]:
    """Mentions for a stream of notes, in input order: of the named `criteria` (a policy's criterion
    names, `Policy.criterion_names`), or of every criterion the rules know.

    With `prefilter`, only the sentences that can hold a criterion go through the nlp
    (see prefilter.py); the review table is the same either way.
    """
    criteria = None if criteria is None else frozenset(criteria)
    categories = reading_categories(criteria)
    nlp = cached_nlp(patterns_dir)
    notes = list(notes)
    shaped, classes, wins = [], [], []
    for n in notes:
        cls = classify_note(n, patterns_dir)
        parts: list[Window] = []
        # a note that may count is read through its shape; one whose words complete no rule is not read by the nlp,
        # but a trial's or a PT visit's note is still shaped for the readers of whole notes (a circled pain scale)
        countable = not prefilter or can_count(n.text, cls, patterns_dir, categories) or ocr_damaged(n.text, patterns_dir)
        if countable or cls & WHOLE_NOTE_CLASSES:
            text = read_shapes(n.text, patterns_dir)
            if text != n.text:
                n = n._replace(text=text)
                cls = classify_note(n, patterns_dir)
        if countable:
            win = window(n.text, cls, patterns_dir, categories) if prefilter else Window.whole(n.text)
            parts = blocks(win, patterns_dir, categories) if win is not None else []
        shaped.append(n)
        classes.append(cls)
        wins.append(parts)
    docs = iter(nlp.pipe((w.text for parts in wins for w in parts), batch_size=batch_size))
    for note, shape, cls, parts in zip(notes, shaped, classes, wins):
        yield from mentions_from_docs([(next(docs), w) for w in parts], note, cls, shape, criteria)
