"""The style score: an authorship classifier that never sees the evaluated documents."""
import pytest

from ghostwriter.data.build import build_dataset, load_dataset
from ghostwriter.demo import demo_source
from ghostwriter.errors import GhostwriterError
from ghostwriter.evaluate.style import StyleClassifier, style_training_documents
from ghostwriter.records import Document, Example


@pytest.fixture(scope="module")
def slice_train(tmp_path_factory):
    out = tmp_path_factory.mktemp("style") / "ds"
    build_dataset(demo_source(), out)
    train = load_dataset(out).split("train")
    users = sorted({e.user_id for e in train})[:6]
    return [e for e in train if e.user_id in users]


def test_training_documents_exclude_evaluated_documents(slice_train):
    docs = style_training_documents(slice_train)
    ids = {d.doc_id for d in docs}
    assert not ids & {e.example_id for e in slice_train}
    assert {d.user_id for d in docs} == {e.user_id for e in slice_train}
    assert all(d.doc_id in {p.doc_id for e in slice_train for p in e.profile} for d in docs)


def test_references_are_attributed_well_above_chance(slice_train):
    classifier = StyleClassifier.fit(style_training_documents(slice_train), seed=0)
    users = [e.user_id for e in slice_train]
    own = classifier.attribution([e.target for e in slice_train], users)
    chance = 100 / len(classifier.users)
    assert len(classifier.users) == 6 and own.aggregates["mean"] > 1.5 * chance  # measured: 40.2 vs 16.7
    # someone else's text is attributed to the right user far less often
    shifted = classifier.attribution([e.target for e in slice_train[7:] + slice_train[:7]], users)
    assert shifted.aggregates["mean"] < own.aggregates["mean"]
    assert "candidates:6" in own.signature and "seed:0" in own.signature and "scikit-learn-" in own.signature
    assert set(own.per_example) <= {0.0, 100.0}


def test_one_candidate_user_is_a_clear_error():
    doc = Document("u1", "d1", 1, "Fix", "the arc")
    example = Example("d2", "u1", 2, "Fix the", "rest", (doc,))
    with pytest.raises(GhostwriterError, match="at least 2 candidate users"):
        StyleClassifier.fit(style_training_documents([example]))
