"""Each scorer's declared facts agree with what it does: the columns the tables, report and FHIR read."""
import datetime as dt

import pytest

from pipeline.resources import policies_dir
from pipeline.scoring.contract import REVIEW_COLUMNS
from pipeline.scoring.policy import load_policy
from pipeline.scoring.registry import scorer_columns
from pipeline.scoring.scorers import SCORERS


@pytest.mark.parametrize("path", sorted(policies_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_declared_columns_are_the_columns_each_scorer_writes(path):
    for c in load_policy(path).criteria:
        written = SCORERS[c.scorer].func([], dt.date(2025, 1, 1), c.params, c.name).columns
        assert scorer_columns(c.scorer, c.params, c.name) == list(written), (path.stem, c.name)


def test_the_contract_table_is_built_from_the_declarations():
    assert REVIEW_COLUMNS[:3] == ["patient_id", "review_date", "indication_status"]
    assert REVIEW_COLUMNS[3:7] == ["odi_score", "odi_date", "odi_note_id", "odi_status"]
    assert REVIEW_COLUMNS[-2:] == ["determination", "missing"]
    assert SCORERS["odi"].facts.requirement({"min_score": 30}).startswith("ODI \u2265 30 %")
