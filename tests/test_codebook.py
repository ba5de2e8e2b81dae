import pytest
import yaml

from reviewcoder.codebook import THEME_KINDS, codebook_from_dict, default_codebook, load_codebook
from reviewcoder.errors import CodebookError

PANEL_IDS = [
    "optimistic_thinking", "risk_assessment", "information_sharing", "children_returned_home", "offending_history",
    "domestic_abuse", "adolescent_mental_health", "including_men", "health_plans", "home_education",
    "written_agreements", "professional_disputes",
]


def test_default_codebook_has_the_twelve_panel_themes_in_order():
    cb = default_codebook()
    assert cb.id == "panel-2018-19"
    assert cb.theme_ids == PANEL_IDS
    for theme in cb:
        assert theme.kind in THEME_KINDS
        assert len(theme.definition) > 60
        assert theme.include and theme.exclude and theme.examples


def test_case_features_and_practice_concerns_follow_the_design():
    cb = default_codebook()
    features = {t.id for t in cb if t.kind == "case_feature"}
    assert features == {"children_returned_home", "offending_history", "domestic_abuse", "adolescent_mental_health",
                        "home_education"}


def test_fingerprint_is_stable_and_changes_with_meaning(tmp_path):
    cb = default_codebook()
    assert cb.fingerprint() == default_codebook().fingerprint()
    data = cb.to_dict()
    data["themes"][0]["definition"] += " Changed."
    assert codebook_from_dict(data).fingerprint() != cb.fingerprint()


def test_save_and_load_round_trip(tmp_path):
    cb = default_codebook()
    path = cb.save(tmp_path / "cb.yaml")
    again = load_codebook(path)
    assert again.theme_ids == cb.theme_ids
    assert again.fingerprint() == cb.fingerprint()


def _write(tmp_path, data):
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _theme(**kw):
    theme = {"id": "neglect", "name": "Neglect", "kind": "case_feature", "definition": "The child was neglected."}
    theme.update(kw)
    return theme


def test_a_users_own_codebook_loads(tmp_path):
    cb = load_codebook(_write(tmp_path, {"id": "mine", "themes": [_theme(), _theme(id="drugs", name="Drugs")]}))
    assert cb.theme_ids == ["neglect", "drugs"]


@pytest.mark.parametrize(
    "themes, message",
    [
        ([_theme(), _theme()], "appears twice"),
        ([_theme(definition="")], "has no definition"),
        ([_theme(kind="feeling")], "unknown kind 'feeling'"),
        ([_theme(id="Bad Id")], "snake_case"),
        ([_theme(colour="red")], "unknown field"),
        ([], "no themes"),
    ],
)
def test_invalid_codebooks_say_what_and_where(tmp_path, themes, message):
    path = _write(tmp_path, {"id": "mine", "themes": themes})
    with pytest.raises(CodebookError, match=message) as info:
        load_codebook(path)
    assert str(path) in str(info.value)


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nthemes:\n  - id: a\n   kind: [\n", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"line \d+ is not valid YAML"):
        load_codebook(path)


def test_missing_file_and_unknown_labels(tmp_path):
    with pytest.raises(CodebookError, match="does not exist"):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(CodebookError, match=r"\['T07'\] in codes.csv are not in codebook panel-2018-19"):
        default_codebook().check_labels(["domestic_abuse", "T07"], "codes.csv")
