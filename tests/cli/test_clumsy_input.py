"""What a new user trips on: an export none of whose rows can be read, columns named as the EHR names them,
common date forms, audit options that make no sense, and a run.json that ties a review to its export."""
import hashlib
import json
import logging

import pandas as pd
import pytest

from pipeline.cli.main import main
from pipeline.io.dates import parse_date


def _export(path, rows, header="patient_id,note_id,note_date,note_type,text"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(path, out, *args):
    return main(["run", str(path), "--out", str(out), "--quiet", *args])


@pytest.mark.parametrize("written", ["19-Mar-2025", "Mar 19, 2025", "19 Mar 2025", "03/19/25", "2025-03-19T08:15:00",
                                     "2025-03-19 08:15", "March 19, 2025", "19-Mar-25"])
def test_the_usual_export_date_forms_are_read(written):
    assert str(parse_date(written)) == "2025-03-19"


def test_a_run_that_processes_no_row_exits_2_with_the_reasons(tmp_path, capsys):
    path = _export(tmp_path / "n.csv", ["P1,N1,19/03/2025,x,ODI 44%", "P1,N2,2025-02-30,x,ODI 40%"])
    assert _run(path, tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "no input row could be processed" in err and "2 x unparseable note_date" in err
    assert "ODI" not in err  # never the note text


def test_more_than_half_rejected_warns_and_puts_a_banner_on_the_report(tmp_path, capsys, caplog):
    caplog.set_level(logging.WARNING)
    path = _export(tmp_path / "n.csv", ["P1,N1,13/45/2025,x,a", "P1,N2,2025-02-30,x,b", "P1,N3,2025-03-01,x,c"])
    assert _run(path, tmp_path / "o") == 0
    err = capsys.readouterr().err + caplog.text
    assert "warning: 2 of 3 input rows were rejected" in err
    page = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "id='banner'>2 of 3 input rows were rejected" in page


def test_a_missing_column_suggests_its_usual_source_and_an_unmapped_note_type_warns(tmp_path, capsys, caplog):
    caplog.set_level(logging.WARNING)
    path = _export(tmp_path / "n.csv", ["P1,N1,2025-03-19,PT Daily Note,hello"],
                   header="PAT_MRN_ID,NOTE_ID,CONTACT_DATE,NOTE_TYPE,NOTE_TEXT")
    assert _run(path, tmp_path / "o") == 2
    err = capsys.readouterr().err + caplog.text
    assert ("--column patient_id=PAT_MRN_ID --column note_id=NOTE_ID --column note_date=CONTACT_DATE "
            "--column text=NOTE_TEXT") in err
    caplog.clear()
    assert _run(path, tmp_path / "o2", "--column", "patient_id=PAT_MRN_ID", "--column", "note_id=NOTE_ID",
                "--column", "note_date=CONTACT_DATE", "--column", "text=NOTE_TEXT") == 0
    assert "add --column note_type=NOTE_TYPE" in capsys.readouterr().err + caplog.text


def test_run_json_says_what_was_read_and_when(tmp_path):
    path = _export(tmp_path / "n.csv", ["P1,N1,2025-03-01,x,ODI 44% today"])
    assert _run(path, tmp_path / "o", "--review-date", "2025-06-30") == 0
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert run["inputs"]["notes"] == {"path": str(path), "size_bytes": path.stat().st_size,
                                      "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert run["options"]["review_date"] == "2025-06-30" and run["started"] <= run["ended"]
    assert "44% today" not in json.dumps(run)  # never note text


@pytest.mark.parametrize("value, hint", [("0.9", "give 90"), ("101", "from 0 to 100"), ("-5", "from 0 to 100")])
def test_audit_refuses_a_min_agreement_that_is_not_a_percent(tmp_path, capsys, value, hint):
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"patient_id": ["P1"], "determination": ["criteria_met"]}).to_csv(gold, index=False)
    code = main(["audit", "--gold", str(gold), "--review", str(gold), "--out", str(tmp_path / "a"),
                 "--min-agreement", value])
    assert code == 2 and hint in capsys.readouterr().err


def test_audit_refuses_a_gold_table_with_nothing_filled_in(tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"patient_id": ["P1", "P2"], "review_date": ["2025-06-30"] * 2, "odi_score": ["", ""],
                  "determination": ["", ""]}).to_csv(gold, index=False)
    code = main(["audit", "--gold", str(gold), "--review", str(gold), "--out", str(tmp_path / "a")])
    assert code == 2 and "no filled value" in capsys.readouterr().err
