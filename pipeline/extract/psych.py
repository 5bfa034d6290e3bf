"""Psychological clearance: cleared, not cleared, or pending.

An outcome word counts in a psychological evaluation note, or in any note when
the sentence names the psychological/behavioral evaluation ("Psych clearance
obtained"), and only in a note that speaks of spinal cord stimulation: the
evaluation must be for SCS, not for bariatric surgery or a memory work-up. Negation flips it: "no psychological contraindications" clears,
"not cleared" / "not a candidate" do not. A planned, referred or scheduled
evaluation is `pending`. An outcome that refers to an earlier dated evaluation
("supersedes the deferral of 09/16/2024") is dated to that evaluation.
"""
from __future__ import annotations

import re

from pipeline.io.dates import find_dates
from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer

PLANNED = ("PLANNED", "HYPOTHETICAL", "REQUIREMENT")
# a clearance on a condition (sessions of CBT, sobriety) is pending until a later note records it met
_CONDITIONAL = re.compile(r"\b(?:conditional(?:ly)?|contingent|provided\s+that|on\s+condition|once\s+(?:she|he|they|the\s+"
                          r"patient|pt)\b|pending\s+(?:completion|\d+|six|eight|ten|cbt|sobriety)|after\s+completion|"
                          r"(?:becomes?|will\s+be(?:come)?)\s+final\s+(?:upon|after|once|when)|not\s+(?:yet\s+)?final\s+(?:until|before)|"
                          r"condicional|condicionad[ao]|siempre\s+que|una\s+vez\s+que)\b", re.I)


# "I am unable to clear her for ...", "cannot recommend ...": the evaluator declines the outcome the word names
_UNABLE = re.compile(r"\b(?:unable|not\s+able|cannot|can\s*not|could\s+not|can'?t|won'?t|will\s+not|not\s+in\s+a\s+position)"
                     r"\s+(?:to\s+)?(?:\w+\s+){0,2}?(?:clear|recommend|support|endorse|approve)\w*\b", re.I)
# what waits for an outcome that has not come: "on hold until psych clearance", "pending psychological clearance"
_AWAITED = re.compile(r"\b(?:until|till|pending|awaiting|await|waiting\s+(?:for|on)|needs?|requires?|required|"
                      r"prior\s+to|before)\s+(?:(?:the|a|her|his|their|formal|final)\s+)?(?:psych\w*\s+|behaviou?ral\s+"
                      r"(?:health\s+|medicine\s+)?)?$", re.I)
# "permanent implant to be booked after clearance": a plan that waits for the clearance
_AFTER_AWAITED = re.compile(r"\b(?:after|once|upon|following)\s+(?:(?:the|a|her|his|their|formal|final)\s+)?(?:psych\w*\s+)?$", re.I)
_FUTURE = re.compile(r"\b(?:will|to\s+be|plan\w*|book\w*|schedul\w*|pending|then)\b", re.I)
_WAITS_FOR = re.compile(r"\b(?:until|till|pending|awaiting)\s+(?:\w+\s+){0,2}(?:clearance|evaluation|eval)\b", re.I)
_ASKED_FOR = re.compile(r"\b(?:referral|appt|appointment|consult\s+(?:placed|ordered|sent|requested))\b", re.I)
_ASKED_AFTER = re.compile(r"^\W{0,3}(?:\w+\s+){0,2}?(?:recommended|requested|ordered|needed|pending|placed|booked|sent|"
                          r"scheduled|to\s+be\s+(?:scheduled|arranged|done)|will\s+be\s+(?:scheduled|arranged))\b", re.I)
_CHECKLIST = re.compile(r"\b(?:checklist|criteria|criterion|item\s+#?\d+|policy)\b", re.I)
_REQUIRED_BY = re.compile(r"^\W{0,3}(?:\w+\s+){0,2}?(?:required|mandated|needed)\s+by\s+(?:the\s+)?(?:payer|plan|insurer|"
                          r"insurance|carrier|policy|program|guidelines?)\b", re.I)
_NOT_ON_FILE = re.compile(r"^[^.;]{0,30}?\b(?:not|never)\s+(?:yet\s+)?(?:been\s+)?(?:obtained|received|on\s+file|documented|"
                         r"available|in\s+(?:the\s+)?chart|returned|submitted)\b", re.I)
_ABSENT = re.compile(r"\b(?:without|absent|lack(?:ing)?(?:\s+of)?|missing)\s+(?:a\s+|any\s+)?(?:formal\s+)?(?:psych\w*\s+|"
                     r"behaviou?ral\s+(?:health\s+)?)?$", re.I)
# what a psychological opinion is for when it is not SCS: an impairment rating, another procedure
_OTHER_PURPOSE = re.compile(r"\b(?:WPI|whole[- ]person|impairment\s+rating|P&S|permanent\s+(?:and|&)\s+stationary|apportion\w*|"
                            r"bariatric|gastric|sleeve|transplant\w*|intrathecal|pump|deep\s+brain|DBS|return\s+to\s+work)\b", re.I)
_NAMES_SCS = re.compile(r"\b(?:SCS|spinal\s+cord|stimulat\w*|neurostim\w*|neuromodulation|implant\w*)\b", re.I)
_RELATIVE_SUBJECT = re.compile(r"^\W*(?:(?:his|her|their|pt'?s|patient'?s)\s+)?(?:wife|husband|spouse|partner|mother|"
                               r"father|son|daughter|sister|brother|mom|dad)\b", re.I)
_PSYCH_WORD = re.compile(r"\b(?:psyc\w*|behaviou?ral\s+(?:health|medicine))\b", re.I)
_OTHER_CLEARER = re.compile(r"\b(?:cardi\w*|medical(?:ly)?|surg\w*|anesthe\w*|PCP|dental|pulmon\w*|hematolog\w*)\b", re.I)
# an outcome a later one replaced: "the 05/23/2023 clearance submitted with the request was superseded"
_SUPERSEDED = re.compile(r"^[^.;]{0,50}?\b(?:was|is|has\s+been|were)\s+(?:since\s+|later\s+|now\s+)?(?:superseded|"
                         r"withdrawn|rescinded|revoked|replaced|no\s+longer\s+valid)\b", re.I)
_SUPERSEDES = re.compile(r"\b(?:supersed\w*|replac\w*|withdraw\w*|rescind\w*|revok\w*)\s+(?:my|the|his|her|their|our|this)?\s*"
                         r"(?:[\w/-]+\s+){0,3}$", re.I)  # "This supersedes my 03/12/2024 clearance"
_REMAINS_PENDING = re.compile(r"^[^.;]{0,50}?\b(?:remains?|is\s+still|still)\s+(?:pending|conditional|on\s+hold)\b", re.I)
_NOT_FINAL = re.compile(r"\bnot\s+(?:yet\s+)?(?:a\s+|the\s+)?final\b", re.I)
_DECLINED = re.compile(r"\b(?:declin\w*|refus\w*|cancel\w*|does\s+not\s+want|did\s+not\s+want)\b", re.I)


def _evaluation_date(t: Target):
    """The date of the evaluation an outcome belongs to: the note's, for an evaluation note; else the date
    written nearest before the outcome in its sentence ("Cleared in 01/2025, but on re-evaluation 05/2025 ... does
    not recommend SCS"), else the first after it."""
    if "psych_eval" in t.note_classes:
        return t.note_date  # the evaluation is this note ("concerns from 08/05/2024 resolved" dates the concerns)
    found = [d for d in find_dates(t.sentence, t.note_date, yearless=True)
             if d.precision in ("day", "month") and d.date <= t.note_date]
    at = t.start - t.sent_start
    before = [d for d in found if d.end <= at]
    return before[-1].date if before else found[0].date if found else t.note_date


@normalizer("PSYCH_EVAL", criterion="psych")
def normalize_psych_eval(t: Target) -> list[Finding]:
    if "scs_context" not in t.note_classes:
        return []  # a psychological evaluation for something else (bariatric surgery, dementia work-up)
    if _DECLINED.search(t.sentence):
        return [Finding("declined", date=t.note_date)]  # "She has declined psychological evaluation": none is coming
    after = t.sentence[t.end - t.sent_start:]
    if _REQUIRED_BY.match(after) or _CHECKLIST.search(t.sentence[:t.start - t.sent_start]):
        return [Finding("mention", date=t.note_date)]  # a payer's requirement or checklist item is no request
    # "psych referral placed", "psych appt 8/3", "psychology evaluation recommended", "psych eval requested"
    planned = t.has(*PLANNED) or _ASKED_FOR.search(t.text) or _ASKED_AFTER.match(after)
    if planned:
        return [Finding("pending", date=t.note_date)]
    return [Finding("mention", date=t.note_date)]


@normalizer("PSYCH_OUTCOME", criterion="psych")
def normalize_psych_outcome(t: Target) -> list[Finding]:
    # the outcome of a psychological evaluation: named in its sentence ("Psych eval for SCS: ...; cleared") or in
    # the sentence before ("Psych consult for SCS ... PHQ-9 19. Not cleared; needs SUD treatment first.")
    named = t.has("PSYCH_CUE") or "psych_eval" in t.note_classes or _PSYCH_WORD.search(t.sentence) or \
        (_PSYCH_WORD.search(t.preceding) and not _OTHER_CLEARER.search(t.sentence))
    if not named or "scs_context" not in t.note_classes or _RELATIVE_SUBJECT.match(t.sentence):
        return []  # (a sentence about a relative: "Wife had her psych eval ...; she was cleared")
    if _NOT_ON_FILE.match(t.sentence[t.end - t.sent_start:]) or _ABSENT.search(t.sentence[:t.start - t.sent_start]):
        return []  # "clearance: not obtained", "a trial without psych clearance": none on file, none withheld
    if _OTHER_PURPOSE.search(t.sentence) and not _NAMES_SCS.search(t.sentence):
        return []  # "Psychiatric WPI deferred until P&S", "cleared for bariatric surgery": not an evaluation for SCS
    negated = t.has("NEGATED_EXISTENCE") or bool(_UNABLE.search(t.sentence[:t.end - t.sent_start]))
    if t.metadata.get("only_negated") and not negated:
        return []  # a bare "candidate" is an outcome only as "not a candidate"
    tail = t.sentence[t.end - t.sent_start:]
    if _SUPERSEDED.match(tail) or _SUPERSEDES.search(t.sentence[:t.start - t.sent_start]):
        return [Finding("mention", date=t.note_date)]  # "the 05/23/2023 clearance ... was superseded": no longer one
    if negated and _NOT_FINAL.search(t.sentence):
        return [Finding("pending", date=t.note_date)]  # "until then this is not a final clearance": conditional
    clears = (t.metadata.get("polarity") == "clear") != negated
    if clears and "psych_eval" in t.note_classes and _REMAINS_PENDING.match(tail):
        return [Finding("conditional", date=t.note_date)]  # "my clearance for permanent implantation remains pending"
    head = t.sentence[:t.start - t.sent_start]
    if (clears and (_AWAITED.search(head) or (_AFTER_AWAITED.search(head) and _FUTURE.search(head)))) or \
            _WAITS_FOR.search(t.sentence):
        return [Finding("pending", date=t.note_date)]  # "trial on hold (deferred) until psych clearance": not yet
    if clears and _CONDITIONAL.search(t.sentence) and not t.metadata.get("dated") == "note":
        return [Finding("conditional", date=_evaluation_date(t))]  # "conditionally cleared - pending six sessions"
    if t.has(*PLANNED) and t.metadata.get("polarity") != "barrier":
        return [Finding("pending", date=t.note_date)]  # ("must be treated before SCS" is the barrier itself)
    if t.metadata.get("dated") == "note":  # a clearance withdrawn or rescinded: the new outcome is the note's
        return [Finding("cleared" if clears else "not_cleared", date=t.note_date)]
    return [Finding("cleared" if clears else "not_cleared", date=_evaluation_date(t))]
