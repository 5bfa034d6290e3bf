"""FHIR export: one QuestionnaireResponse per case, valid against the FHIR models (fhir.resources)."""
import datetime as dt
import json

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

import pipeline
from payer_cases import cases_frame, notes_frame
from pipeline.outputs.fhir import INFORMATION_ORIGIN, safe_id, write_fhir

AUTHORED = dt.datetime(2025, 4, 1, 9, 30, tzinfo=dt.timezone.utc)


def _items(items):
    for it in items:
        yield it
        yield from _items(it.get("item", []))
        for a in it.get("answer", []):
            yield from _items(a.get("item", []))


def _answers(qr):
    return [(it["linkId"], a) for it in _items(qr["item"]) for a in it.get("answer", [])]


def _value(qr, link_id):
    values = [a for lid, a in _answers(qr) if lid == link_id]
    assert len(values) == 1, link_id
    a = values[0]
    return next(v for k, v in a.items() if k.startswith("value"))


@pytest.fixture(scope="module")
def result():
    cases = {"ALL-MET": {}, "RELIEF40-ANALGESIC60": {}, "NO-ODI": {"odi": ""}}
    from payer_cases import CASES
    cases = {k: CASES[k] for k in cases}
    return pipeline.review(notes_frame(cases), cases=cases_frame(cases), policy="medicare-l37632")


@pytest.fixture(scope="module")
def written(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return out, write_fhir(result, out, authored=AUTHORED)


def test_one_valid_questionnaire_response_per_case(result, written):
    out, paths = written
    assert [p.name for p in paths] == [f"{pid}.json" for pid in result.review.patient_id]
    assert all(p.parent == out / "fhir" for p in paths)
    for p in paths:
        data = json.loads(p.read_text(encoding="utf-8"))
        qr = QuestionnaireResponse.model_validate(data)  # the FHIR model accepts it
        assert qr.status == "in-progress" and data["resourceType"] == "QuestionnaireResponse"
        assert data["authored"] == "2025-04-01T09:30:00+00:00"
        assert data["questionnaire"].startswith("urn:scs-abstract:policy:medicare-l37632|")


def test_every_answer_carries_the_dtr_information_origin(written):
    _, paths = written
    for p in paths:
        qr = json.loads(p.read_text())
        answers = _answers(qr)
        assert answers
        for _, a in answers:
            origin = [e for e in a["extension"] if e["url"] == INFORMATION_ORIGIN]
            assert origin == [{"url": INFORMATION_ORIGIN, "extension": [{"url": "source", "valueCode": "auto-client"}]}]


def test_one_item_per_policy_criterion_with_value_status_and_evidence(result, written):
    _, paths = written
    qr = json.loads(next(p for p in paths if p.stem == "RELIEF40-ANALGESIC60").read_text())
    groups = [it["linkId"] for it in qr["item"] if "item" in it]
    assert groups == ["indication", "trial", "psych", "conservative"]   # the policy's criteria, no ODI
    assert _value(qr, "determination")["code"] == "criteria_met"
    assert _value(qr, "trial.trial_status")["code"] == "met"
    assert _value(qr, "trial.trial_relief_pct") == 40 and _value(qr, "trial.analgesic_reduction_pct") == 60
    assert _value(qr, "trial.trial_relief_status")["code"] == "not_met"
    assert _value(qr, "conservative.conservative_months") == 24
    ev = result.evidence
    used = ev[(ev.patient_id == "RELIEF40-ANALGESIC60") & ev.used]
    trial = next(it for it in qr["item"] if it["linkId"] == "trial")
    evidence = [e for e in trial["item"] if e["linkId"] == "trial.evidence"]
    expected = used[used.criterion == "trial"]
    assert len(evidence) == len(expected) == 1
    got = {it["linkId"]: next(v for k, v in it["answer"][0].items() if k.startswith("value"))
           for it in evidence[0]["item"]}
    assert got == {"trial.evidence.note_id": expected.iloc[0].note_id,
                   "trial.evidence.note_date": expected.iloc[0].note_date.isoformat(),
                   "trial.evidence.sentence": expected.iloc[0].sentence}


def test_unused_or_missing_values_are_left_out(written):
    _, paths = written
    qr = json.loads(next(p for p in paths if p.stem == "NO-ODI").read_text())
    link_ids = {lid for lid, _ in _answers(qr)}
    assert not any(lid.startswith("odi") for lid in link_ids)
    assert "trial.analgesic_reduction_pct" not in link_ids  # none documented: no empty answer


@pytest.mark.parametrize("pid", ["../../etc/passwd", "a b/c", "CON", "", "x" * 200, "MRN:123", "..", "é-1"])
def test_patient_ids_never_escape_the_fhir_folder(tmp_path, pid):
    sid = safe_id(pid)
    assert sid and len(sid) <= 64 and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in sid)
    assert sid != safe_id(pid + "x")
    notes = notes_frame({"P": {}})
    notes["patient_id"] = pid or "blank"
    result = pipeline.review(notes, policy="scs-permanent")
    paths = write_fhir(result, tmp_path, authored=AUTHORED)
    assert len(paths) == 1 and paths[0].parent == tmp_path / "fhir"
    data = json.loads(paths[0].read_text())
    assert data["subject"]["identifier"]["value"] == (pid or "blank")
    QuestionnaireResponse.model_validate(data)


def test_distinct_ids_that_look_alike_get_distinct_files():
    ids = ["A-1", "A_1", "A 1", "a-1"]
    assert len({safe_id(i) for i in ids}) == len(ids)
    assert safe_id("DEV-001") == "DEV-001"


def test_ids_differing_only_in_case_get_two_files(tmp_path):
    notes = notes_frame({"abc": {}, "ABC": {}})
    paths = write_fhir(pipeline.review(notes, policy="scs-permanent"), tmp_path, authored=AUTHORED)
    assert len({p.name.lower() for p in paths}) == 2


def test_write_fhir_reports_an_unwritable_folder(tmp_path, result):
    from pipeline.errors import OutputError
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write FHIR"):
        write_fhir(result, blocker)


def test_the_answers_carry_the_route_and_each_reason(tmp_path):
    import json
    import pandas as pd
    import pipeline
    from pipeline.outputs.fhir import REASON_SYSTEM, ROUTE_SYSTEM, write_fhir
    text = ("Pain clinic follow-up after the SCS trial. Oswestry questionnaire was completed and after much "
            "discussion of each section came to 46 today.")
    notes = pd.DataFrame({"patient_id": ["P1"], "note_id": ["N1"], "note_date": ["2025-06-01"],
                          "note_type": ["Pain Management Progress Note"], "text": [text]})
    paths = write_fhir(pipeline.review(notes), tmp_path)
    body = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    resource = json.loads(body.splitlines()[0]) if paths[0].suffix == ".ndjson" else json.loads(body)
    items = resource["item"] if "item" in resource else resource["entry"][0]["resource"]["item"]
    by_link = {i["linkId"]: i for i in items}
    assert by_link["route"]["answer"][0]["valueCoding"] == {"system": ROUTE_SYSTEM, "code": "clinical_review",
                                                            "display": "clinical review"}
    codes = [a["valueCoding"]["code"] for a in by_link["review_reasons"]["answer"]]
    assert "odi:unread_number" in codes and all(a["valueCoding"]["system"] == REASON_SYSTEM
                                                for a in by_link["review_reasons"]["answer"])
    assert "note N1 of 2025-06-01" in by_link["summary"]["answer"][0]["valueString"]
