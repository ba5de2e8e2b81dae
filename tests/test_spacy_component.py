"""The spaCy component puts evidence spans on doc.spans and theme scores on doc.cats."""

from __future__ import annotations

import pytest
import spacy

from classify_fakes import FakeEncoder, tiny_codebook, tiny_data
from reviewcoder.classify import train_model
from reviewcoder.spacy_component import FACTORY, ThemeSpans

TEXT = ("The plan was reviewed at home by the worker later that week.\n\n"
        "Police were called when he punched her; the assault left an injury and a bruise. The worker wrote it up the next day.")


@pytest.fixture(scope="module")
def model():
    texts, Y, groups = tiny_data(80)
    return train_model(texts, Y, tiny_codebook().theme_ids, backend="embedding", groups=groups,
                       encoder=FakeEncoder(), codebook=tiny_codebook(), params={"C": 50.0})


def test_component_sets_spans_and_cats(model):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    component = ThemeSpans(model)
    doc = component(nlp(TEXT))
    spans = doc.spans["themes"]
    assert [s.label_ for s in spans] == ["violence"]
    assert spans[0].text.startswith("Police were called")
    assert spans[0].start_char <= TEXT.index("Police") and spans[0].end_char >= TEXT.index("bruise.")
    assert len(spans.attrs["scores"]) == 1 and spans.attrs["scores"][0] >= model.thresholds["violence"]
    assert set(doc.cats) == {"violence", "school", "money"}
    assert doc.cats["violence"] > doc.cats["money"]


def test_pipe_matches_call_and_handles_empty_docs(model):
    nlp = spacy.blank("en")
    component = ThemeSpans(model)
    docs = list(component.pipe([nlp(TEXT), nlp(""), nlp(TEXT)], batch_size=2))
    assert [len(d.spans["themes"]) for d in docs] == [1, 0, 1]
    assert docs[0].cats == docs[2].cats


def test_factory_is_registered():
    assert FACTORY in spacy.blank("en").factory_names


def test_factory_loads_a_model_folder(tmp_path, model):
    from reviewcoder.artifacts import save_model

    texts, Y, groups = tiny_data(40)
    tfidf = train_model(texts, Y, tiny_codebook().theme_ids, backend="tfidf", codebook=tiny_codebook())
    save_model(tfidf, tmp_path / "m")
    nlp = spacy.blank("en")
    nlp.add_pipe(FACTORY, config={"model": str(tmp_path / "m"), "spans_key": "rc"})
    doc = nlp(TEXT)
    assert "rc" in doc.spans and doc.cats
