"""Indication: failed back surgery / post-laminectomy syndrome.

A named syndrome (FBSS, post-laminectomy syndrome, M96.1) documents it; so does
a spine operation named in the same sentence as ongoing pain.
"""
from __future__ import annotations

import re

from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer
from pipeline.extract.values import IN_ERROR

_SPINE = re.compile(r"\b([LTCS]\d|lumbar|spin\w*|back|lami\w*|interbody|posterolateral|instrumented|disc\w*)\b", re.I)
_PAIN = re.compile(r"\b(pain\w*|hurts?|hurting|LBP|radicul\w*|sciatica|neuropath\w*|sx|symptoms?|claudication|aches?|burning)\b", re.I)


# an abbreviation followed by a lab value, or in a sentence about glucose, is a lab ("FBS: 88 mg/dl")
_LAB_VALUE = re.compile(r"^\s*[:=(]?\s*\d{2,3}(?:\.\d)?(?![\d%/]|\.\d)", re.I)
_FBS_VALUE = re.compile(r"\bFBS\s*[:=(]?\s*\d{2,3}(?![\d%/]|\.\d)", re.I)  # "FBS 102 ...; repeat FBS in 3 months"
_FBS_LAB = re.compile(r"\b(?:elevated|high|low|normal|abnormal|repeat|check|recheck|order)\s+FBS\b", re.I)
# a surgery only planned, proposed or called off ("A fusion was planned for April but cancelled")
_NOT_DONE = re.compile(r"\b(?:planned|scheduled|recommended|proposed|cancel\w*|declined|deferred|never\s+had|considering|"
                       r"prepared\s+to|about\s+to)\b", re.I)
_GLUCOSE = re.compile(r"\b(?:mg/dl|mmol|glucose|blood\s+sugar|fasting|a1c|hba1c|sugars?)\b", re.I)
_POLICY = re.compile(r"\b(?:polic(?:y|ies)|covers?|coverage|covered|criteria|indicated\s+for|indications?\s+(?:for|include)|"
                     r"approved\s+for|LCD|guidelines?)\b", re.I)
# persisting pain written in the next sentence ("L3-L5 laminectomy in 03/2024. Ever since, the back pain ... persisted")
_PERSISTING = re.compile(r"\b(?:persist\w*|ongoing|continu\w*|ever\s+since|since\s+(?:then|the\s+surgery|surgery)|never\s+"
                         r"(?:improved|resolved|went\s+away|got\s+better)|(?:did\s+not|didn'?t|does\s+not|failed\s+to)\s+"
                         r"(?:relieve|help|improve|resolve|fix)|still|recurr\w*|returned(?!\s+to\b)|remain\w*|worse)\b", re.I)
# pain after the surgery, not the pain it was done for ("underwent a fusion for back pain")
_AFTER_SURGERY = re.compile(r"\b(?:s/p|status\s+post|post[- ]?(?:op\w*|surgical|laminectomy|fusion)|after|since|following|"
                            r"history\s+of|h/o|hx\s+of|prior|previous|failed|chronic|residual)\b", re.I)
_RESOLVED = re.compile(r"\b(?:good\s+(?:result|outcome)|resolved|resolution\s+of|pain[- ]free|complete\s+relief|"
                       r"excellent\s+(?:result|outcome)|fully\s+recovered|asymptomatic|symptom[- ]free|"
                       r"(?:no|without)\s+(?:residual|further|ongoing|persistent|remaining)\s+(?:symptoms?|sx|pain))\b", re.I)
_LIKENED = re.compile(r"\b(?:equivalent|similar|comparable|analogous|akin|identical)\s+to\s+(?:an?\s+|the\s+)?$|"
                      r"\b(?:like|as\s+if\s+(?:she|he|they)\s+(?:had|has))\s+(?:an?\s+|the\s+)?$", re.I)
_DEFINED = re.compile(r"^\W{0,3}(?:\([^)]{0,20}\)\s*)?(?:presupposes|requires|implies|means|refers\s+to|is\s+defined\s+as|"
                      r"by\s+definition)\b", re.I)
_CERVICAL = re.compile(r"\b(cervical|ACDF|C[1-7](?:\s*-\s*C?[1-7])?|neck)\b", re.I)
_CERVICAL_NAMED = re.compile(r"\b(?:cervical|C[1-7](?:\s*-\s*C?[1-7])?)\s+(?:(?!lumbar|back|L\d)\w+\s+){0,4}$", re.I)
_LUMBAR = re.compile(r"\b([LS]\d|T1[0-2]|lumbar|lumbosacral|low(?:er)?\s+back|back\s+pain|LBP|(?<!cervical\s)radicul\w*|sciatica|legs?)\b",
                     re.I)


@normalizer("INDICATION", criterion="indication")
def normalize_indication(t: Target) -> list[Finding]:
    if t.metadata.get("kind") == "syndrome" and IN_ERROR.search(t.sentence):
        return [Finding("withdrawn")]  # "diagnosis M96.1 was entered in error": the earlier diagnosis is withdrawn
    if t.metadata.get("kind") == "syndrome":
        if _LAB_VALUE.match(t.sentence[t.end - t.sent_start:]) or _GLUCOSE.search(t.sentence) or \
                (t.text.upper() == "FBS" and (_FBS_VALUE.search(t.sentence) or _FBS_LAB.search(t.sentence))):
            return []  # "FBS: 88 mg/dl" is a fasting blood sugar
        if _POLICY.search(t.sentence):
            return []  # "policy covers SCS for FBSS/CRPS": what a payer covers, not the patient's diagnosis
        if _LIKENED.search(t.sentence[:t.start - t.sent_start]) or _DEFINED.match(t.sentence[t.end - t.sent_start:]):
            return []  # "functionally equivalent to a failed back surgery patient", "FBSS presupposes surgery": no diagnosis
        return [Finding("syndrome")]
    if t.metadata.get("needs_spine_context") and not _SPINE.search(t.sentence):
        return []
    if _POLICY.search(t.sentence):
        return [Finding("surgery")]  # "indications include ... persistent pain following lumbar surgery": a policy's
    if _NOT_DONE.search(t.sentence) and not _PERSISTING.search(t.sentence):
        return [Finding("surgery")]
    a0 = t.start - t.sent_start
    if (_CERVICAL.search(t.sentence) and not _LUMBAR.search(t.sentence)) or \
            _CERVICAL_NAMED.search(t.sentence[max(0, a0 - 45):a0]):
        return [Finding("surgery")]  # neck surgery ("neck pain from a previous cervical fusion"): not failed back surgery
    if _RESOLVED.search(t.sentence) and not _PERSISTING.search(t.sentence):
        return [Finding("surgery")]  # surgery whose pain resolved ("with a good result")
    if (_PAIN.search(t.sentence) and (_AFTER_SURGERY.search(t.sentence) or _PERSISTING.search(t.sentence))) or \
            (_PAIN.search(t.following) and _PERSISTING.search(t.following)
                                    and not _RESOLVED.search(t.following)):
        return [Finding("surgery_with_pain")]
    return [Finding("surgery")]
