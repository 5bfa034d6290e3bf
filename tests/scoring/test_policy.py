import pytest
import yaml

from pipeline.errors import PolicyError
from pipeline.resources import policies_dir
from pipeline.scoring.policy import load_policy


def test_default_policy_has_the_contract_thresholds():
    p = load_policy()
    params = {c.name: c.params for c in p.criteria}
    assert [c.name for c in p.criteria] == ["indication", "odi", "trial", "pt", "psych"]
    assert params["odi"]["min_score"] == 21 and params["trial"]["min_relief_pct"] == 50
    assert params["pt"] == {"min_weeks": 6, "window_months": 12}
    assert len(p.sha256) == 64 and p.name == "scs-permanent"


def _copy(tmp_path, edit):
    data = yaml.safe_load((policies_dir() / "scs-permanent.yaml").read_text())
    edit(data)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(colour="red"), "unknown keys"),
    (lambda d: d["criteria"][1].update(min_scor=30), "unknown parameters"),
    (lambda d: d["criteria"][1].update(scorer="odi_v9"), "unknown scorer"),
    (lambda d: d["criteria"][1].update(min_score="high"), "must be a number"),
    (lambda d: d.update(criteria=[]), "non-empty 'criteria'"),
])
def test_bad_policies_are_rejected_with_the_file_named(tmp_path, edit, message):
    path = _copy(tmp_path, edit)
    with pytest.raises(PolicyError, match=message) as e:
        load_policy(path)
    assert str(path) in str(e.value)


def test_unknown_policy_name_lists_shipped_ones():
    with pytest.raises(PolicyError, match="scs-permanent"):
        load_policy("no-such-policy")
