"""The pipeline: rank, summarize, synthesize, build the prompt, generate; every intermediate kept.

A :class:`Pipeline` is a dataclass of named roles; :meth:`Pipeline.prepare` reads top to
bottom and returns one :class:`~ghostwriter.records.Prepared` per example (ranking, summary,
words, prompt and its token count). Nothing here reads ``Example.target``.

>>> pipe = Pipeline.from_config(config, dataset, variant="baseline")  # doctest: +SKIP
>>> prepared = pipe.prepare(dataset.split("test")[:4])  # doctest: +SKIP
>>> generations = pipe.run(dataset.split("test")[:4], generator)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ghostwriter.config import Config
from ghostwriter.prompt import CountTokens, approx_tokens, build_prompt
from ghostwriter.records import Example, Generation, Prepared, Ranking


@dataclass
class Pipeline:
    """Named roles and the config they came from."""

    config: Config
    variant: str
    ranker: object  # roles.Ranker
    summarizer: object  # roles.Summarizer
    synthesizer: object  # roles.Synthesizer
    count_tokens: CountTokens = field(default=approx_tokens)

    @classmethod
    def from_config(cls, config: Config, dataset=None, variant: str | None = None,
                    count_tokens: CountTokens | None = None) -> "Pipeline":
        """The pipeline for ``variant`` (a name from :data:`ghostwriter.variants.VARIANTS`) over ``config``.

        ``dataset`` (a :class:`ghostwriter.data.build.Dataset`) gives training-split statistics
        (IDF, Word2Vec); ``count_tokens`` should be the generator tokenizer's counter.
        """
        from ghostwriter.rank import get_ranker
        from ghostwriter.summarize import get_summarizer
        from ghostwriter.synthesize import get_synthesizer
        from ghostwriter.variants import variant_config

        config = variant_config(config, variant)
        return cls(config=config, variant=variant or "config",
                   ranker=get_ranker(config.rank.ranker, config),
                   summarizer=get_summarizer(config),
                   synthesizer=get_synthesizer(config, dataset),
                   count_tokens=count_tokens or approx_tokens)

    def rank(self, examples: Sequence[Example]) -> list[Ranking | None]:
        if self.config.rank.ranker == "none":
            return [None] * len(examples)
        return list(self.ranker.rank(examples))

    def prepare(self, examples: Sequence[Example], count_tokens: CountTokens | None = None) -> list[Prepared]:
        """Rank, summarize, synthesize and build the prompt for each example."""
        examples = list(examples)
        count = count_tokens or self.count_tokens
        rankings = self.rank(examples)
        summaries = self.summarizer.summarize(examples, rankings)
        words = self.synthesizer.synthesize(examples, rankings)
        out = []
        for example, ranking, summary, chosen in zip(examples, rankings, summaries, words, strict=True):
            passages = [e.text for e in ranking.entries] if ranking is not None else []
            prompt, tokens = build_prompt(example.context, summary, [w.word for w in chosen], passages,
                                          self.config.prompt, count)
            out.append(Prepared(example_id=example.example_id, variant=self.variant, context=example.context,
                                ranking=ranking, summary=summary, words=tuple(chosen), prompt=prompt,
                                prompt_tokens=tokens))
        return out

    def run(self, examples: Sequence[Example], generator) -> list[Generation]:
        """:meth:`prepare`, then ``generator.generate`` on the prompts (budget counted with its tokenizer)."""
        prepared = self.prepare(examples, count_tokens=generator_token_counter(generator))
        texts = generator.generate([p.prompt for p in prepared])
        return [Generation(example_id=p.example_id, variant=p.variant, text=text, prepared=p)
                for p, text in zip(prepared, texts, strict=True)]


def generator_token_counter(generator) -> CountTokens | None:
    """The generator's own token counter: its ``count_tokens``, or its (LM's) tokenizer; None if it has none."""
    counter = getattr(generator, "count_tokens", None)
    if callable(counter):
        return counter
    lm = getattr(generator, "lm", None)
    if lm is not None and callable(getattr(lm, "count_tokens", None)):
        return lm.count_tokens
    tokenizer = getattr(generator, "tokenizer", None)
    if tokenizer is not None:
        return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return None


def explain_example(dataset_dir, config: Config, variant: str, example_id: str,
                    count_tokens: CountTokens | None = None) -> dict:
    """One example's ranked entries, summary, words and prompt as JSON-able data (``ghostwriter prompt``)."""
    from pathlib import Path

    from ghostwriter.data.build import load_dataset
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.variants import variant_config

    variant_config(config, variant)  # an unknown variant is reported before anything is loaded
    if not (Path(dataset_dir) / "manifest.json").exists():
        raise GhostwriterError(f"{dataset_dir}: no manifest.json; is it a folder written by `ghostwriter data build`?")
    dataset = load_dataset(Path(dataset_dir))
    example = dataset.example(example_id)
    pipeline = Pipeline.from_config(config, dataset, variant=variant, count_tokens=count_tokens)
    prepared = pipeline.prepare([example])[0]
    ranked = prepared.ranking.entries if prepared.ranking is not None else ()
    return {
        "variant": prepared.variant,
        "example_id": prepared.example_id,
        "ranked": [{"doc_id": e.doc_id, "score": e.score, "start": e.start, "end": e.end, "text": e.text}
                   for e in ranked],
        "summary": prepared.summary,
        "words": [{"word": w.word, "source": w.source, "score": w.score} for w in prepared.words],
        "prompt": prepared.prompt,
        "prompt_tokens": prepared.prompt_tokens,
        # centroid synthesis: words of the context and candidates that had no vector, skipped
        "skipped_oov": sum(getattr(part, "skipped_oov", 0)
                           for part in getattr(pipeline.synthesizer, "parts", [pipeline.synthesizer])),
    }
