"""Context-dependent keywords (``syn_ctx``, Li et al. 2023 sec. 4.4) and their weak labels.

A training label is the set of profile words *similar* to the words of the target: the same
word, a WordNet synonym, or a GloVe neighbour within ``synthesize.neighbour_distance``
(Euclidean; the paper's < 4 is for 300-d vectors, see docs/synthesis.md for the 50-d
calibration). Words are sorted by how often they were selected, then IDF. Labels are built
from TRAINING targets only (:func:`keyword_weak_labels`); at inference a model trained on
them predicts the words from context + ranked entries (``synthesize.model``), or, without
one, the same rule is applied to the immediate context instead of the target.

WordNet is Debian's ``wordnet-base`` database (``apt-get install -y wordnet-base``), read
offline with nltk's reader; nothing is downloaded.
"""
from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ghostwriter.errors import GhostwriterError, require
from ghostwriter.records import Example, Ranking, SynthesizedWord
from ghostwriter.synthesize.keywords import WORDS, IdfTable, is_keyword_token, training_idf
from ghostwriter.synthesize.vectors import WordVectors, load_glove

# Debian's wordnet-base first, then nltk's own download folders; GHOSTWRITER_WORDNET overrides
WORDNET_DIRS = ("/usr/share/wordnet", str(Path.home() / "nltk_data" / "corpora" / "wordnet"),
                "/usr/share/nltk_data/corpora/wordnet")
# nltk's reader wants a 'lexnames' file that Debian's package does not ship: the standard 45 names.
_LEXNAMES = ("adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
             "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
             "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
             "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
             "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
             "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather "
             "adj.ppl").split()
_POS_NUMBER = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


class WordNetMissingError(GhostwriterError):
    """The WordNet database is not installed."""


def wordnet_source() -> Path:
    """The folder holding WordNet's ``index.noun``/``data.noun`` files, or a clear error."""
    candidates = [os.environ["GHOSTWRITER_WORDNET"]] if os.environ.get("GHOSTWRITER_WORDNET") else WORDNET_DIRS
    for folder in candidates:
        if (Path(folder) / "data.noun").is_file() and (Path(folder) / "index.noun").is_file():
            return Path(folder)
    raise WordNetMissingError(
        f"WordNet database not found in {', '.join(candidates)}; syn_ctx needs it: install Debian's "
        "wordnet-base (apt-get install -y wordnet-base) or set GHOSTWRITER_WORDNET to a folder with "
        "WordNet 3.0's index.* and data.* files")


@functools.lru_cache(maxsize=1)
def load_wordnet():
    """nltk's WordNet reader over the system database, loaded once (the missing lexnames supplied in memory)."""
    source = wordnet_source().resolve()
    nltk_data = require("nltk.data", "synth")
    if str(source) not in nltk_data.path:  # nltk only opens files under its data roots
        nltk_data.path.append(str(source))
    import io
    import warnings

    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    lexnames = "".join(f"{i:02d}\t{name}\t{_POS_NUMBER[name.split('.')[0]]}\n" for i, name in enumerate(_LEXNAMES))

    class DebianWordNetReader(WordNetCorpusReader):
        _FILES = tuple(f for f in WordNetCorpusReader._FILES if f != "lexnames")

        def open(self, fileid):
            if fileid == "lexnames":
                return io.StringIO(lexnames)
            return super().open(fileid)

        def map_wn(self, version="wordnet"):
            return None  # the mapping to nltk's own WordNet is for multilingual data, which is not used

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": not used here
        return DebianWordNetReader(str(source), None)


class WordMatcher:
    """Decides which profile words are 'similar' to given words: identical, WordNet synonym, or GloVe neighbour."""

    def __init__(self, glove: WordVectors, wordnet, neighbour_distance: float):
        self.glove, self.wordnet, self.neighbour_distance = glove, wordnet, neighbour_distance
        self._synonyms: dict[str, frozenset[str]] = {}

    def synonyms(self, word: str) -> frozenset[str]:
        """Single-word lemma names of all WordNet synsets of ``word`` (its inflections included)."""
        found = self._synonyms.get(word)
        if found is None:
            names = {lemma.name().lower() for synset in self.wordnet.synsets(word) for lemma in synset.lemmas()}
            found = self._synonyms[word] = frozenset(n for n in names if "_" not in n)
        return found

    def selection_counts(self, source: Sequence[str], candidates: Sequence[str]) -> Counter:
        """How many of the ``source`` words (with repeats) select each candidate word."""
        counts: Counter = Counter()
        source_counts = Counter(source)
        distinct = list(source_counts)
        candidate_set = list(dict.fromkeys(candidates))
        c_col = {w: j for j, w in enumerate(candidate_set)}
        near = np.zeros((len(distinct), len(candidate_set)), dtype=bool)
        s_found, s_vectors, _ = self.glove.lookup(distinct)
        c_found, c_vectors, _ = self.glove.lookup(candidate_set)
        if s_found and c_found:
            distance = np.sqrt(np.maximum(
                (s_vectors ** 2).sum(1)[:, None] + (c_vectors ** 2).sum(1)[None, :] - 2 * s_vectors @ c_vectors.T, 0))
            s_row = {w: i for i, w in enumerate(distinct)}
            rows = [s_row[w] for w in s_found]
            cols = [c_col[w] for w in c_found]
            near[np.ix_(rows, cols)] = distance < self.neighbour_distance
        for i, word in enumerate(distinct):
            selected = set(np.flatnonzero(near[i]).tolist())
            selected.update(c_col[w] for w in (word, *self.synonyms(word)) if w in c_col)
            for j in selected:
                counts[candidate_set[j]] += source_counts[word]
        return counts


def profile_words(texts: Sequence[str]) -> list[str]:
    """Distinct keyword-like profile words (stopwords and numbers removed), first seen first."""
    return list(dict.fromkeys(w for t in texts for w in WORDS.words(t) if is_keyword_token(w)))


def keyword_weak_labels(target: str, profile_texts: Sequence[str], matcher: WordMatcher, idf: IdfTable,
                        top_k: int = 20, source: str = "syn_ctx") -> tuple[SynthesizedWord, ...]:
    """TRAINING labels: profile words similar to the target's words, by times selected, then IDF (score = times)."""
    return match_words(WORDS.words(target), profile_texts, matcher, idf, top_k, source)


def match_words(words: Sequence[str], profile_texts: Sequence[str], matcher: WordMatcher, idf: IdfTable,
                top_k: int = 20, source: str = "syn_ctx") -> tuple[SynthesizedWord, ...]:
    """Profile words that ``words`` select (the weak-label rule), most selected first, then by IDF."""
    words = [w for w in words if is_keyword_token(w)]
    counts = matcher.selection_counts(words, profile_words(profile_texts))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], -idf.idf(item[0]), item[0]))
    return tuple(SynthesizedWord(w, source, float(c)) for w, c in ordered[:top_k])


def syn_ctx_input(example: Example, ranking: Ranking | None, max_chars: int = 2500) -> str:
    """What a trained syn_ctx model reads: the context and the ranked entries (never the target)."""
    entries = (ranking.text if ranking is not None else "")[:max_chars]
    return f"passage start: {example.context}\npast passages: {entries}"


class ContextKeywordSynthesizer:
    """``syn_ctx`` at inference: a trained word predictor, or the weak-label rule applied to the context."""

    name = "syn_ctx"

    def __init__(self, matcher: WordMatcher, idf: IdfTable | None, top_k: int = 20, model: str = "",
                 config=None):
        self.matcher, self.idf, self.top_k, self.model, self.config = matcher, idf, top_k, model, config

    @classmethod
    def from_config(cls, config, dataset) -> "ContextKeywordSynthesizer":
        s = config.synthesize
        matcher = WordMatcher(load_glove(s.glove), load_wordnet(), s.neighbour_distance)
        idf = training_idf(dataset) if dataset is not None else None
        return cls(matcher, idf, s.top_k, s.model, config)

    def synthesize(self, examples: Sequence[Example],
                   rankings: Sequence[Ranking | None]) -> list[tuple[SynthesizedWord, ...]]:
        if self.model:
            return self._predict(examples, rankings)
        out = []
        for example in examples:
            texts = [d.full_text for d in example.profile]
            idf = self.idf if self.idf is not None else IdfTable.from_texts(texts)
            out.append(match_words(WORDS.words(example.context), texts, self.matcher, idf, self.top_k))
        return out

    def _predict(self, examples, rankings) -> list[tuple[SynthesizedWord, ...]]:
        from ghostwriter.models import load_lm
        from ghostwriter.summarize.independent import lm_generate

        from ghostwriter.models.formats import format_prompt

        lm = load_lm(self.model, self.config)
        inputs = [format_prompt(lm.tokenizer, syn_ctx_input(e, r), lm.is_seq2seq)  # as the trainer laid them out
                  for e, r in zip(examples, rankings, strict=True)]
        outputs = lm_generate(lm, inputs, max_new_tokens=4 * self.top_k)
        out = []
        for text in outputs:
            words = [w.strip().lower() for w in text.split(",")]
            words = list(dict.fromkeys(w for w in words if w and is_keyword_token(w) and " " not in w))
            out.append(tuple(SynthesizedWord(w, "syn_ctx", float(rank)) for rank, w in enumerate(words[:self.top_k])))
        return out


# ----------------------------------------------------------------------------- training a syn_ctx model

def syn_ctx_training_pairs(dataset, config, rankings: Sequence[Ranking | None] | None = None,
                           limit: int | None = None) -> list[tuple[str, str]]:
    """(context + ranked entries -> "word, word, ...") pairs from half of the TRAINING users.

    The same half as the sum_ctx summarizer (:func:`ghostwriter.summarize.weak_labels.summarizer_users`),
    so the generator trains on users whose words the predictor has not seen.
    """
    from ghostwriter.summarize.weak_labels import summarizer_users

    train = dataset.split("train")
    if not train:
        raise GhostwriterError(f"{dataset.path}: the training split is empty; no weak labels to build")
    users = summarizer_users(train, config.run.seed)
    examples = [e for e in train if e.user_id in users][:limit]
    if rankings is None:
        from ghostwriter.rank import get_ranker

        rankings = get_ranker(config.rank.ranker, config).rank(examples)
    s = config.synthesize
    matcher = WordMatcher(load_glove(s.glove), load_wordnet(), s.neighbour_distance)
    idf = training_idf(dataset)
    pairs = []
    for example, ranking in zip(examples, rankings, strict=True):
        labels = keyword_weak_labels(example.target, [d.full_text for d in example.profile], matcher, idf, s.top_k)
        if labels:
            pairs.append((syn_ctx_input(example, ranking), ", ".join(w.word for w in labels)))
    return pairs


def train_syn_ctx(dataset, out_dir: Path, config, model: str | None = None, resume: bool = False,
                  progress: bool = True, limit: int | None = None):
    """Fine-tune a word predictor on syn_ctx weak labels; use the result as ``synthesize.model``.

    ``model`` defaults to ``config.summarize.model`` (a small seq2seq or causal LM).
    """
    from ghostwriter.train import train_on_pairs

    pairs = syn_ctx_training_pairs(dataset, config, limit=limit)
    if len(pairs) < 2:
        raise GhostwriterError(f"{dataset.path}: only {len(pairs)} syn_ctx weak label(s); need at least 2")
    rng = np.random.default_rng(config.run.seed)
    order = rng.permutation(len(pairs))
    n_val = max(1, len(pairs) // 20)
    val = [pairs[i] for i in order[:n_val]]
    train = [pairs[i] for i in order[n_val:]]
    return train_on_pairs(model or config.summarize.model, train, val, config.train, Path(out_dir), config=config,
                          resume=resume, progress=progress)
