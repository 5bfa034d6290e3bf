"""Structured records in a note's text, read without the pipeline."""
import datetime as dt

import pytest

from pipeline.nlp.fields import corrected, records, scaled_percent, withdrawn

REF = dt.date(2024, 9, 1)


@pytest.mark.parametrize("text, name, percent, taken", [
    ("Flowsheet: Oswestry Disability Index | Value: 17 | Units: points | Range: 0-50 | Taken: 02/12/2024 09:31 | "
     "Status: Final", "Oswestry Disability Index", 34.0, dt.date(2024, 2, 12)),
    ("Flowsheet: Oswestry Disability Index | Value: 19 | Units: pts | Ref range: 0-50 | Taken: 20240603 0912",
     "Oswestry Disability Index", 38.0, dt.date(2024, 6, 3)),
    ("Flowsheet: Oswestry Disability Index | Value: 16 | Units: % | Taken: 2024-08-20 09:02", "Oswestry Disability Index",
     16.0, dt.date(2024, 8, 20)),
    ("OBX|1|NM|ODI^Oswestry Disability Index^L||48|%|0-100|H|||F|||20240318104000", "ODI Oswestry Disability Index",
     48.0, dt.date(2024, 3, 18)),
    ("OBX|1|NM|ODI_IDX^Oswestry Disability Index (index 0-1)^L||0.34|ratio|0-1|||F|||20240506101500",
     "ODI_IDX Oswestry Disability Index (index 0-1)", 34.0, dt.date(2024, 5, 6)),
    ('{"instrument":"ODI","score":31,"unit":"%"}', "ODI", 31.0, None),
    ('{"form":"ODI","taken":"2024-07-15T09:05:00","raw_total":21,"max":50,"pct":42}', "ODI", 42.0, dt.date(2024, 7, 15)),
    ("Raw total: 23 | Max: 50 | Score: 46 %", "", 46.0, None),
    ("Total: 10 | Units: points | Max: 50", "", 20.0, None),
])
def test_a_record_gives_its_measure_its_value_by_its_units_and_when_it_was_taken(text, name, percent, taken):
    [rec] = records(text, REF)
    assert (rec.name, scaled_percent(rec), rec.taken) == (name, percent, taken)


def test_a_status_withdraws_or_corrects_a_record():
    wrong, fixed = records("Flowsheet: ODI | Value: 18 | Units: % | Status: Entered in error\n"
                           "Flowsheet: ODI | Value: 38 | Units: % | Status: Corrected", REF)
    assert withdrawn(wrong) and not corrected(wrong) and corrected(fixed) and not withdrawn(fixed)


@pytest.mark.parametrize("text", ["| Date | ODI | VAS |", "Pain 7/10 | sleep poor", "ODI: 44% (01/15/2024)",
                                  "Flowsheet: Oswestry Disability Index | Value: ___ | Units: %"])
def test_a_table_row_a_sentence_or_a_blank_value_gives_no_value(text):
    assert all(scaled_percent(r) is None for r in records(text, REF))
