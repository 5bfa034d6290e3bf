"""Physical therapy: dates of service, spans of care and stated durations.

Formal PT is documented by a PT visit note (its date is a date of service), a
range of dates next to a PT mention ("PT 2x/week 01/06/2025-02/27/2025"), or a
completed duration ("completed 8 weeks of physical therapy in spring 2025").
A frequency in a plan of care ("2x/week x 6 weeks") is a plan, not a duration.
Home exercise programs, chiropractic, massage and gym classes are `nonformal`.
"""
from __future__ import annotations

import datetime as dt
import re

from pipeline.io.dates import DateMention, find_date_ranges, find_dates
from pipeline.records import Finding, Note, Target
from pipeline.extract.registry import HEADER_LINE, normalizer, note_extractor
from pipeline.extract.values import gap_ok, words_to_digits_around

_DURATION = re.compile(
    r"(?<![x×]\s)(?<![x×])\b(?P<n>\d{1,2}(?:\.\d)?)[\s-]*(?P<unit>weeks?|wks?|months?|mos?)\b(?!\s*/)", re.I)
_COMPLETED = re.compile(
    r"\b(completed?|did|done|finished|finishing|attended|underwent|had|participated|went\s+through|"
    r"was\s+in|course\s+of|total\s+of)\b", re.I)
_COURSE_TIMES = re.compile(r"^\s?[x×]\s*(?P<n>\d{1,2}(?:\.\d)?)\s*(?P<unit>weeks?|wks?|months?|mos?)\b", re.I)
_DONE_COURSE_TIMES = re.compile(r"^[^.;\d]{0,40}?\(?\s*\d\s*[x×]\s*/?\s*(?:wk|week)s?\s*[x×]\s*(?P<n>\d{1,2}(?:\.\d)?)\s*"
                                r"(?P<unit>weeks?|wks?|months?|mos?)\b", re.I)
_PLAN = re.compile(r"[x×]\s*$|\bfor\s+(?:another|an?\s+additional|the\s+next)\s+$|\bper\s+$", re.I)
WEEKS_PER_MONTH = 52 / 12
NEAR = 25  # characters between "PT" and its duration ("8 weeks of outpatient physical therapy")
FAR = 70
_FREQUENCY = re.compile(r"\b\d+\s*(?:[x×]|times)\s*(?:/|per|an?|each)?\s*(?:wk|week|weekly)s?\b|\b\d+\s+(?:visits?|sessions?)\b",
                        re.I)
_OTHER_THERAPY = re.compile(r"\b(?:chiro\w*|massage|acupunct\w*|yoga|pilates|gym|HEP|home\s+exercise|injections?|ESI|"
                            r"TENS|aquatic\s+class|video|telehealth|virtual)\b", re.I)
# a date is a date of service when a visit word names it ("eval 9/16/2024", "d/c 11/11/2024", a PT CPT code)
_SERVICE = re.compile(r"\b(?:eval\w*|initial|start\s+of\s+care|soc|first\s+visit|visits?|seen|d/c|dc'?d|discharg\w*|"
                      r"final\s+visit|last\s+visit|re-?eval\w*|attended|tx|treatment|sessions?|dos|in[- ](?:clinic|person)|"
                      r"date\s+of\s+service|97(?:16[1-4]|110|112|140|530|535|750))\b", re.I)
_NOT_SERVICE = re.compile(r"\b(?:cancel\w*|no[- ]?shows?|missed|(?:re)?scheduled?|resched\w*|planned|plan\s+of\s+care|poc|"
                          r"(?:re-?)?cert\w*|valid|SEOC|"
                          r"(?:psych\w*|pm&r|pain|surg\w*|neuro\w*|ortho\w*|mri|imaging)\s+(?:eval\w*|consult\w*|visit|f/u|note)|order\w*|referr\w*|auth\w*|video|tele\w*|virtual|expir\w*|goal\w*|due|next|"
                          r"non-?attendance|not\s+seen|no\s+visits?|administrative|closed|holiday|trial|leads?|implant\w*|"
                          r"did\s+not\s+(?:arrive|show|attend|come)|"
                          r"didn'?t\s+(?:show|come|attend)|no\s+call|printed|faxed|exported|generated|run\s+(?:on|date)|"
                          r"(?:visits?|seen)\s+here|(?:visits?|seen)\s+(?:in|at)\s+(?:our|this)\s+(?:office|clinic)|with\s+(?:me|us))\b",
                          re.I)
IN_PERSON = re.compile(r"\bin[- ](?:clinic|person|office)\b", re.I)
# a note about PT that records no visit of its own: its date is not a date of service (the visits it lists still are)
_NOT_A_VISIT = re.compile(r"\b(?:schedul\w*|no[- ]?shows?|cancel\w*|not\s+seen|administrative|export\w*|generated|telephone|phone\s+(?:call|note|"
                          r"encounter)|orders?|referrals?|letters?|correspondence|consult\s+(?:tracking|activity|request|order))\b", re.I)
# the head of a log of visits ("Date of Service      Type", "| Visit | Date | Provider |", "Visits (12):"), a line
# with no date of its own: the lines under it that hold a date are its rows, each a visit unless it says otherwise
# a PT office's note of a visit that did not happen ("initial evaluation 10:30 - NO SHOW", "eval booked for 05/19"),
# with no treatment written in it
_NO_VISIT = re.compile(r"\bno[- ]?show|\bdid\s+not\s+(?:show|arrive|attend|come)\b|\bcancel(?:l?ed|s)?\b|"
                       r"\b(?:booked|scheduled)\s+for\b|\bnot\s+seen\b", re.I)
_TREATED = re.compile(r"\b(?:ther\s*ex|therapeutic|exercis\w*|manual|tolerated|minutes|units|97\d{3}|gait|stretch\w*|"
                      r"strength\w*|mobiliz\w*|ROM|assessment|subjective|objective|(?:final\s+)?visit\s+today|seen\s+today)\b",
                      re.I)
_LOG_HEADER = re.compile(r"^[\W_]*(?:dates?\s+of\s+service|DOS|visits?|visit\s+dates?|dates?|dates?\s+of\s+visits?|"
                         r"date\s+seen|visit\s+log|treatment\s+log|attendance)\b[^\n]*$"
                         r"|\b(?:dates?\s+of\s+service|visit\s+dates?|dates?\s+of\s+visits?|visits?\s+attended)\s*:\s*$", re.I)
_ANY_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{2,4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}")
_RULE_LINE = re.compile(r"^[\s|:+=-]*$")  # a table's ruled line under its head


def _log_rows(lines: list[str]) -> set[int]:
    """The lines that are rows of a log of visits: those holding a date, right under its head (a ruled line between)."""
    rows, open_ = set(), False
    for k, line in enumerate(lines):
        dated = _ANY_DATE.search(line) is not None
        if not dated and (_LOG_HEADER.match(line) or _LOG_HEADER.search(line)):
            open_ = True
        elif open_ and dated:
            rows.add(k)
        elif open_ and (_RULE_LINE.match(line) and line.strip() or line and not line.strip()):
            continue  # a ruled line, or a line the shape reader blanked (a fax header between two pages of the log)
        else:
            open_ = False
    return rows


# an attendance calendar's line: a month, then its days of service, each perhaps with a note ("08(eval)", "19(cx)")
_CALENDAR = re.compile(r"^\s*(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*[:\-]\s*"
                       r"(?P<days>(?:\d{1,2}(?:\s?\([^)\n]{1,12}\))?[\s,;]*){2,})$", re.I)
_CALENDAR_DAY = re.compile(r"(?P<d>\d{1,2})(?:\s?\((?P<note>[^)\n]{1,12})\))?")
_CALENDAR_MISSED = re.compile(r"^(?:cx|canc\w*|ns|no[- ]?show|missed|resched\w*|x)$", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _calendar_days(line: str, at: int, note_date) -> list:
    """The days of service on an attendance calendar's line, dated in the year before the note's date."""
    m = _CALENDAR.match(line)
    if m is None:
        return []
    month = _MONTHS.index(m.group("month").lower()[:3]) + 1
    year = note_date.year if month <= note_date.month else note_date.year - 1
    out = []
    for d in _CALENDAR_DAY.finditer(line, m.start("days")):
        if d.group("note") and _CALENDAR_MISSED.match(d.group("note").strip()):
            continue
        try:
            day = dt.date(year, month, int(d.group("d")))
        except ValueError:
            continue
        if day <= note_date:
            out.append(DateMention(at + d.start(), at + d.end(), day, "day"))
    return out


def service_span(text: str, r) -> bool:
    """Whether a span of dates is one of service: not a certification period, plan of care or authorization."""
    line_start = text.rfind("\n", 0, r.start) + 1
    return not _NOT_SERVICE.search(text[max(line_start, r.start - 40):r.start])
# a list of dates that are all visits: "PT visit log: 5/20/24, 6/10/24, ...", "Visits attended: ..."
_VISIT_LIST = re.compile(r"\b(?:visit\s+log|visits?\s+attended|dates?\s+of\s+service|attended\s+(?:on|visits)|seen\s+on|"
                         r"visits)(?:\s*[:(]?\s*|[^\d\n]{0,30}?[:)]\s*)\d{1,2}/\d{1,2}", re.I)


def service_dates(text: str, note_date) -> list:
    """Dates of service written in `text`: each date a visit word names (or every date of a visit list, where
    "09/05" without a year is a visit too), on or before the note's date, and not a cancelled, missed,
    planned, certified or video visit. A label names the dates of its own line."""
    if not _SERVICE.search(text) and not _VISIT_LIST.search(text):
        return []
    found = find_dates(text, note_date)
    lines = text.split("\n")
    rows = _log_rows(lines)
    at, listed, lists, in_list = 0, [], [], False
    for k, line in enumerate(lines):
        if k in rows:
            listed.append((at, at + len(line)))
        days = _calendar_days(line, at, note_date)
        if days:  # "Feb: 01 06 08 13(cx) 15": an attendance calendar's days, each a visit but the cancelled
            found += days
            listed.append((at, at + len(line)))
        # a visit list's dates may carry no year, also on the lines it is wrapped over ("..., 12/19,\n12/26/2024, 01/02")
        in_list = bool(_VISIT_LIST.search(line)) or (in_list and lines[k - 1].rstrip().endswith(",")) or \
            (k > 0 and bool(_LIST_HEAD.search(lines[k - 1])))  # "visit log (...), all in clinic:" then its dates
        if in_list:
            found += [d._replace(start=at + d.start, end=at + d.end) for d in find_dates(line, note_date, yearless=True)
                      if not any(f.start <= at + d.start < f.end for f in found)
                      and not _COUNTER.search(line, 0, d.start)]  # "Visit 1/6" counts visits
            lists.append((at, at + len(line)))
        at += len(line) + 1
    out = []
    found = sorted(found)
    for k, d in enumerate(found):
        if d.precision != "day" or d.date > note_date:
            continue
        line_start = text.rfind("\n", 0, d.start) + 1
        line_end = text.find("\n", d.end)
        line_end = len(text) if line_end < 0 else line_end
        # a line of several dates says beside each what it was: its words run from the date before to the next
        many = [f for f in found if line_start <= f.start < line_end]
        columns = False
        if len(many) >= 3:
            # a flowsheet's header of visit dates: the rows under it name visits ("Visit #", "Location", CPT units)
            under = [ln[:24] for ln in text[line_end + 1:line_end + 400].split("\n")[:6]]
            columns = any(_SERVICE.search(u) or _FLOWSHEET_ROW.search(u) for u in under)
            # this date's own words run from the date before it on the line to the one after (found is sorted)
            if k > 0 and found[k - 1].start >= line_start:
                line_start = found[k - 1].end
            if k + 1 < len(found) and found[k + 1].start < line_end:
                line_end = found[k + 1].start
        before, after = text[max(line_start, d.start - 30):d.start], text[d.end:min(line_end, d.end + 25)]
        if not re.search(r"[\w.]", after) and len(many) < 3:  # the line ends here, not its sentence: it goes on
            after = text[d.end:d.end + 25]
        # the words before it in its clause: "Rescheduled initial evaluation for 10/09/2023", "no-show for the eval (...)"
        clause = text[max(line_start, d.start - 60):d.start]
        clause = clause[max(clause.rfind(";"), clause.rfind(". ")) + 1:]
        in_list = any(a <= d.start < b for a, b in lists)
        row = in_list or any(a <= d.start < b for a, b in listed)
        # a log's row says for its one date what it was; a list's line of many dates says it beside each
        if len(many) >= 3:  # each date's own words follow it: "10/23/2023 cancelled (pt ill) | 10/26/2023 | ..."
            if _NOT_SERVICE.search(after):
                continue
        elif _NOT_SERVICE.search(before[-18:]) or _NOT_SERVICE.search(after) or _NOT_SERVICE.search(clause) or \
                (row and not in_list and _NOT_SERVICE.search(text[line_start:line_end])):
            continue
        if _VISIT_LIST.search(text[text.rfind("\n", 0, d.start) + 1:line_end]) or _SERVICE.search(before) or \
                _SERVICE.search(after.lstrip(" \t.|:-")[:15]) or row or columns:
            out.append(d)
    return out


def _time_reference(t: Target):
    """The date a PT mention speaks of: a date written in the sentence, else none."""
    found = [d for d in find_dates(t.sentence, t.note_date) if d.date <= t.note_date]
    return found[0].date if found else None


_COUNTER = re.compile(r"\b(?:visit|session|tx|treatment)\s*#?\s*$", re.I)
_LIST_HEAD = re.compile(r"\b(?:visit\s+log|visits?\s+attended|dates?\s+of\s+service|visit\s+dates?|dos)\b[^\n]*:\s*$", re.I)
_FLOWSHEET_ROW = re.compile(r"^\s*(?:location|therapist|provider|units|minutes|cpt)\b", re.I)
_NOT_DONE = re.compile(r"\b(?:schedul\w*|invit\w*|referr\w*|not\s+(?:yet\s+)?(?:started|begun|done|completed)|will|to\s+be|"
                       r"placed|emailed|offered|declined|never|no-?show|cancel\w*|planned|plan\s+to|consider\w*)\b", re.I)
# PT given by video is not in-person PT: a course or a visit named with these words is telehealth
_TELEHEALTH = re.compile(r"\b(?:video|telehealth|tele-?(?:pt|rehab\w*|therapy|visits?|medicine)|virtual|remote|zoom|"
                         r"e-?visits?|(?:tele)?phone\s+(?:check[- ]?ins?|visits?|sessions?|follow[- ]?ups?)|by\s+(?:tele)?phone)\b", re.I)


# a log's cell that gives a visit's date and where it was given
MODE_CELL = re.compile(r"(?<![\d/])(\d{1,2}/\d{1,2}(?:/\d{2,4})?)\s*[-:]?\s*(in[- ]clinic|clinic|office|in[- ]person|video|"
                        r"telehealth|tele-?\w*|virtual|phone)\b", re.I)
# PT given in hospital during an admission ("ACUTE CARE PT EVALUATION", "Inpatient PT 06/11-06/14")
_INPATIENT = re.compile(r"\b(?:acute[- ]care|inpatient|in-patient|hospital(?:ist)?|(?:while\s+)?admitted|bedside|ICU|"
                        r"post-?op(?:erative)?\s+day)\b", re.I)
# a change to video still to come ("last in person, switching to phone check ins"): this visit was not by video
_TO_COME = re.compile(r"\b(?:will|switch\w*|transition\w*|chang\w*|mov\w*|convert\w*|going)\s+(?:\w+\s+){0,2}$", re.I)


def _video_now(text: str) -> bool:
    """Whether `text` says a visit was given by video or phone, not that later ones will be."""
    return any(not _TO_COME.search(text[max(0, m.start() - 30):m.start()]) for m in _TELEHEALTH.finditer(text))


@normalizer("PT", criterion="pt")
def normalize_pt(t: Target) -> list[Finding]:
    s = t.sentence
    if _INPATIENT.search(s[max(0, t.start - t.sent_start - 30):t.end - t.sent_start + 30]):
        return [Finding("mention", date=_time_reference(t))]  # "Inpatient PT 06/11-06/14 (4 sessions)": no outpatient course
    # PT given by video: named so in its sentence, or the note is itself a PT visit by video (a doctor's video visit
    # that speaks of PT done in clinic is not); an offer, an invitation or a video visit still to come is none done
    video = _video_now(s) or ("telehealth_visit" in t.note_classes and "pt_visit" in t.note_classes)
    if video and not re.search(r"\bin[- ](?:person|clinic)\b", s, re.I):
        if _NOT_DONE.search(s):
            return [Finding("mention", date=_time_reference(t))]
        return [Finding("telehealth", date=_time_reference(t) or t.note_date)]
    ranges = [r for r in find_date_ranges(s, t.note_date) if service_span(s, r)]
    a0, a1 = t.start - t.sent_start, t.end - t.sent_start
    written = s
    s, a0, a1 = words_to_digits_around(s, a0, a1)  # "completed eight weeks of PT"
    if ranges:
        return [Finding("service_range", round((r.last - r.first).days / 7, 1), "weeks", r.first, r.last,
                        t.sent_start + r.start, t.sent_start + r.end) for r in ranges]
    visits = service_dates(written, t.note_date)
    if visits:
        return [Finding("pt_visit", None, "", d.date, start=t.sent_start + d.start, end=t.sent_start + d.end)
                for d in visits]
    if written.rstrip().endswith(":") and t.following:  # "visit log (..., PT), all in clinic:" and its dates below
        listed = service_dates(written.rstrip() + "\n" + t.following, t.note_date)
        if listed:
            return [Finding("pt_visit", None, "", d.date, start=t.start, end=t.end) for d in listed]
    course = _COURSE_TIMES.match(s[a1:]) if _COMPLETED.search(s) else None
    if course is None and _COMPLETED.search(s[max(0, a0 - 40):a0]):
        course = _DONE_COURSE_TIMES.match(s[a1:])  # "completed formal PT at Harbor Point (2x/week x 7 weeks)"
    if course:  # "completed formal PT x 9 wks": the course's own length, not a plan's frequency
        n = float(course.group("n"))
        weeks = n if course.group("unit").lower().startswith("w") else round(n * WEEKS_PER_MONTH, 1)
        return [Finding("stated_duration", weeks, "weeks", _time_reference(t) or t.note_date,
                        start=t.start, end=t.end + course.end())]
    if _COMPLETED.search(s):
        for m in _DURATION.finditer(s):
            gap = s[m.end():a0] if m.end() <= a0 else s[a1:m.start()] if m.start() >= a1 else ","
            # beside "PT", or farther in the same sentence past a frequency or a visit count ("completed 12
            # visits over 7 weeks of skilled, in-clinic physical therapy"), never past another therapy's name
            counted = _FREQUENCY.sub(" ", gap)
            near = (gap_ok(gap, NEAR) and "," not in gap) or \
                (gap_ok(counted, FAR) and not _OTHER_THERAPY.search(gap))
            if not near or _PLAN.search(s[:m.start()]):
                continue
            n = float(m.group("n"))
            weeks = n if m.group("unit").lower().startswith("w") else round(n * WEEKS_PER_MONTH, 1)
            span = (m.start(), m.end()) if s == written else (a0, a1)
            return [Finding("stated_duration", weeks, "weeks", _time_reference(t) or t.note_date,
                            start=t.sent_start + span[0], end=t.sent_start + span[1])]
    return [Finding("mention", date=_time_reference(t))]


# a non-formal therapy counts only as the patient's therapy: named with the back, legs, pain or a course of care,
# and not an incidental word (a delivery's fundal massage, a gym where he plays, "better with massage and heat")
_THERAPY_CONTEXT = re.compile(r"\b(?:back|lumbar|spine|spinal|neck|legs?|sciatica|radicul\w*|therapy|therapist|treatments?|"
                              r"treated|care|adjustments?|manipulations?|sessions?|visits?|programs?|tried|trial|failed|"
                              r"courses?|instructed|prescribed|chiro\w*|HEP|exercises?|class(?:es)?|attends?|attended|aquatic|pool|"
                              r"aerobics|yoga|pilates|weekly|\d\s*x\s*/?\s*(?:wk|week))\b", re.I)
_INCIDENTAL = re.compile(r"\b(?:fundal|uterine|uterus|bimanual|placenta\w*|deliver\w*|postpartum|nasolacrimal|digital|"
                         r"carotid|prostat\w*|breast|eyes?|eyelids?|scalp|gums?|compress\w*|basketball|football|soccer|"
                         r"plays?|playing|pounds|lbs|weight|better\s+w(?:ith|/)?|alleviat\w*|relieved\s+by|helps?\s+with|"
                         r"improves?\s+with|worse\s+with|used\s+to)\b", re.I)


@normalizer("PT_NONFORMAL", criterion="pt")
def normalize_nonformal(t: Target) -> list[Finding]:
    if _INCIDENTAL.search(t.sentence) or not _THERAPY_CONTEXT.search(t.sentence):
        return [Finding("not_pt")]
    return [Finding("nonformal", date=_time_reference(t) or t.note_date)]


@normalizer("PT_DISTRACTOR", criterion="pt")
def normalize_distractor(t: Target) -> list[Finding]:
    return [Finding("not_pt")]


def _sentence_at(text: str, at: int) -> str:
    """The sentence of `text` around `at` (from the sentence end or line break before to the sentence end after)."""
    start = max(text.rfind(". ", 0, at) + 2, text.rfind("\n", 0, at) + 1)
    end = min(k for k in (text.find(". ", at), text.find("\n", at), len(text)) if k >= 0)
    return text[start:end]


def _line(text: str, at: int) -> str:
    start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
    return text[start:len(text) if end < 0 else end]


@note_extractor("pt")
def pt_visit_dates(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """A PT visit note is itself a date of service; a span of care written in it counts too."""
    if "pt_visit" not in note_classes:
        return []
    first = len(note.text) - len(note.text.lstrip())  # the first line with words (a fax header may be blank)
    head = " ".join([note.note_type or "", *(line[:HEADER_LINE] for line in
                                              note.text[first:first + 400].split("\n", 2)[:2])])[:300]
    if _INPATIENT.search(head):
        return []  # a hospital's PT during an admission is not a course of outpatient PT
    by_video = _video_now(head)
    if by_video and not IN_PERSON.search(head):
        return []  # a video visit is not a date of in-person service
    header_end = note.text.find("\n", first) if "\n" in note.text[first:] else len(note.text)
    cells = list(MODE_CELL.finditer(note.text)) if "/" in note.text else []
    if len(cells) >= 3:  # a log whose every date says where it was given ("09/09 clinic   10/07 video ..."): each its own
        out = []
        for c in cells:
            day = find_dates(c.group(1), note.note_date, yearless=True)
            if day and day[0].precision == "day" and day[0].date <= note.note_date:
                label = "telehealth" if _TELEHEALTH.search(c.group(2)) else "pt_visit"
                out.append((Finding(label, None, "", day[0].date, start=c.start(), end=c.end()), c.group(0),
                            c.start(), c.end()))
        if out:
            return out
    # a span of an episode that went on by video is not all in person: the visits' own dates say which were
    # a summary of an episode that went on by video (its span, its list of dates) is not all in person: the
    # visits' own notes say which were; a single visit's note that speaks of video later still is its visit
    mixed = _TELEHEALTH.search(note.text) and not re.search(r"\bno\s+(?:video|telehealth|virtual)\b", note.text, re.I)
    ranges = [r for r in find_date_ranges(note.text, note.note_date) if service_span(note.text, r)
              and (not mixed or IN_PERSON.search(note.text[note.text.rfind("\n", 0, r.start) + 1:r.start]))]
    visits = [] if ranges else service_dates(note.text, note.note_date)
    if mixed and len({d.date for d in visits}) >= 2:
        # a log whose rows say which visits were by video ("| 04/01/2024 | Video-home | GP,95 |") keeps the others;
        # a summary that does not say which is left to the visits' own notes
        lines = note.text.split("\n")
        by_video = [lines[k] for k in _log_rows(lines) if _TELEHEALTH.search(lines[k])]
        in_clinic = [d for d in visits if IN_PERSON.search(said := _sentence_at(note.text, d.start))
                     and not _TELEHEALTH.search(said)]
        if not by_video and not in_clinic:
            return []
        if by_video:
            video = {d.date for line in by_video for d in find_dates(line, note.note_date)}
            visits = [d for d in visits if d.date not in video and not _TELEHEALTH.search(_line(note.text, d.start))]
        else:  # "In-clinic visits: first 09/03/2024 (evaluation), last 10/29/2024": those said in person
            visits = in_clinic
    # a summary that states its dates of service was written after them, and a scheduling, no-show or
    # administrative note records no visit: its own date is not one
    if _NO_VISIT.search(head) and not _TREATED.search(note.text):  # "NO SHOW", "eval booked for ...": its
        visits = [d for d in visits if d.date != note.note_date]     # own date is no visit
        own_visit = False
    else:
        own_visit = not _NOT_A_VISIT.search(head) and not by_video  # ("d/c by phone - seen in clinic 8/5-8/30")
    own = not ranges and len({d.date for d in visits}) < 2 and own_visit
    out = [(Finding("pt_visit", None, "", note.note_date), note.text[first:header_end], first, header_end)] if own else []
    if not ranges:  # the visits it names ("Eval 04/01/2025", "visits 09/05, 09/19, 10/03"), on its own lines too
        for d in visits:
            line_start = note.text.rfind("\n", 0, d.start) + 1
            line_end = note.text.find("\n", d.end)
            line_end = len(note.text) if line_end < 0 else line_end
            out.append((Finding("pt_visit", None, "", d.date, start=d.start, end=d.end),
                        note.text[line_start:line_end], line_start, line_end))
    for r in ranges:
        line_start = note.text.rfind("\n", 0, r.start) + 1
        line_end = note.text.find("\n", r.end)
        line_end = len(note.text) if line_end < 0 else line_end
        out.append((Finding("service_range", round((r.last - r.first).days / 7, 1), "weeks", r.first, r.last,
                            r.start, r.end), note.text[line_start:line_end], line_start, line_end))
    return out
