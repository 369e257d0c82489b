"""Style score: does a generation read as written by its user? (authorship attribution)

A character n-gram TF-IDF + logistic regression classifier (scikit-learn) is trained on the
candidate users' own earlier writing and asked who wrote each generation; the score is the
percentage attributed to the right user among the candidates (the evaluated examples' users).
ROUGE counts shared words; this measures "sounds like them".

Training documents: the candidates' documents in the evaluated examples' profiles (strictly
earlier than some evaluated example) plus, when given, the training split's documents by the
same users; never an evaluated example's own document, so the reference text is not learned.
(With a user split the test users have no training-split documents, so their profiles are
the only place their writing is.)

>>> clf = StyleClassifier.fit(documents, seed=0)  # doctest: +SKIP
>>> clf.attribution(["Fix the ARC ..."], ["u1"])  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ghostwriter.errors import GhostwriterError, require
from ghostwriter.evaluate.metrics import MetricResult, library_version, signature
from ghostwriter.records import Document, Example

NGRAMS = (2, 4)  # character n-grams inside word boundaries: spelling, punctuation, casing habits
MAX_FEATURES = 50_000
C = 10.0  # weak regularisation: few documents per user, many features


def style_training_documents(examples: Sequence[Example], extra: Iterable[Document] = ()) -> list[Document]:
    """The candidates' writing the classifier may learn from (see the module docstring)."""
    users = {e.user_id for e in examples}
    held_out = {e.example_id for e in examples}
    seen: dict[str, Document] = {}
    for doc in [d for e in examples for d in e.profile] + list(extra):
        if doc.user_id in users and doc.doc_id not in held_out:
            seen.setdefault(doc.doc_id, doc)
    return sorted(seen.values(), key=lambda d: (d.user_id, d.timestamp, d.doc_id))


@dataclass
class StyleClassifier:
    """A fitted authorship classifier over a fixed set of candidate users."""

    pipeline: object
    users: tuple[str, ...]
    seed: int
    n_documents: int

    @classmethod
    def fit(cls, documents: Sequence[Document], seed: int = 0) -> "StyleClassifier":
        require("sklearn", "eval")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        users = sorted({d.user_id for d in documents})
        if len(users) < 2:
            raise GhostwriterError(f"the style score needs at least 2 candidate users with earlier documents, "
                                   f"got {len(users)}; evaluate more users (raise --limit)")
        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, lowercase=False,
                            max_features=MAX_FEATURES),
            LogisticRegression(C=C, max_iter=2000, random_state=seed),
        )
        pipeline.fit([d.full_text for d in documents], [d.user_id for d in documents])
        return cls(pipeline, tuple(users), seed, len(documents))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(u) for u in self.pipeline.predict(list(texts))] if texts else []

    def attribution(self, predictions: Sequence[str], user_ids: Sequence[str]) -> MetricResult:
        """Per example 100 if the text is attributed to ``user_ids[i]``, else 0; mean = accuracy (%)."""
        if len(predictions) != len(user_ids):
            raise GhostwriterError(f"{len(predictions)} predictions but {len(user_ids)} user ids")
        guessed = self.predict(predictions)
        values = tuple(100.0 if g == u else 0.0 for g, u in zip(guessed, user_ids))
        sig = signature(metric="style-attribution", features=f"char_wb{NGRAMS[0]}-{NGRAMS[1]}-tfidf",
                        model=f"logreg-C{C:g}", candidates=len(self.users), train_docs=self.n_documents,
                        chance=f"{100.0 / len(self.users):.1f}",
                        version=f"scikit-learn-{library_version('scikit-learn')}", seed=self.seed)
        mean = sum(values) / len(values) if values else 0.0
        return MetricResult("style", values, {"mean": mean, "max": max(values, default=0.0)}, sig)
