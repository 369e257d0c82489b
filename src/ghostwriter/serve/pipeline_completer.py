"""The real completer: the project's pipeline (rank, summarize, synthesize, prompt) and its generator.

Each request becomes an :class:`~ghostwriter.records.Example` whose profile is the user's
stored documents and whose target is empty. Ranking by ``recent``, ``bm25`` or ``dense`` is
answered by the user's live index (:class:`IndexedRanker`), so adding a document never
forces a rebuild; the other rankers run as in batch experiments. Corpus statistics (IDF,
Word2Vec) come from a background dataset: ``serve.background`` or the vendored slice.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ghostwriter.config import Config
from ghostwriter.records import Example
from ghostwriter.serve.completer import INDEX_RANKERS, Completion, CompletionRequest, OnEvent, Stopwatch
from ghostwriter.serve.index import IndexRegistry, rank_user

log = logging.getLogger("ghostwriter.serve")


class IndexedRanker:
    """A :class:`~ghostwriter.roles.Ranker` over the live per-user indexes (``example.user_id`` keys them)."""

    def __init__(self, name: str, config: Config, indexes: IndexRegistry, keys: dict[str, tuple]):
        self.name, self.config, self.indexes, self.keys = name, config, indexes, keys
        self._encoder = None

    def _encode(self, texts):
        if self._encoder is None:
            from ghostwriter.retrieve.dense import DenseEncoder

            self._encoder = DenseEncoder.from_config(self.config)
        return self._encoder.encode(list(texts))

    def rank(self, examples: Sequence[Example]):
        return [rank_user(self.indexes.get(self.keys[e.example_id]), e.example_id, e.context, self.name,
                          self.config.rank.budget_chars, encode=self._encode) for e in examples]


class _Timed:
    """Wraps a role so the pipeline's own ``prepare`` can be timed stage by stage."""

    def __init__(self, inner, method: str, clock: dict, stage: str):
        self._inner, self._method, self._clock, self._stage = inner, method, clock, stage

    def __getattr__(self, name):
        target = getattr(self._inner, name)
        if name != self._method:
            return target

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                self._clock[self._stage] = self._clock.get(self._stage, 0.0) + (time.perf_counter() - started) * 1000

        return timed


def background_dataset(config: Config):
    """The dataset whose training split gives IDF and Word2Vec: ``serve.background`` or the vendored slice."""
    from ghostwriter.data.build import build_dataset, load_dataset

    if config.serve.background:
        return load_dataset(Path(config.serve.background))
    from ghostwriter.demo import demo_source

    folder = Path(config.run.cache_dir) / "serve" / "background-slice"
    if not (folder / "manifest.json").exists():
        build_dataset(demo_source(), folder, config)
    return load_dataset(folder)


class PipelineCompleter:
    """Completions from :class:`ghostwriter.pipeline.Pipeline` and :func:`ghostwriter.generate.get_generator`."""

    name = "pipeline"

    def __init__(self, config: Config, indexes: IndexRegistry):
        self.config, self.indexes = config, indexes
        self._keys: dict[str, tuple] = {}  # example_id -> index key, for the requests in flight
        self._pipelines: dict[str, object] = {}
        self._generators: dict[int, object] = {}
        self._lock = threading.Lock()
        self.dataset = None

    def load(self) -> None:
        """Load the model and the default variant's pipeline now, so the first request is not slow."""
        started = time.perf_counter()
        self.dataset = background_dataset(self.config)
        generator = self._generator(self.config.generate.max_new_tokens)
        if hasattr(generator, "load"):
            generator.load()
        self._pipeline(self.config.serve.variant)
        log.info("pipeline completer loaded %s in %.1f s", self.config.model.name, time.perf_counter() - started)

    def variants(self) -> list[str]:
        from ghostwriter.variants import VARIANTS

        return list(VARIANTS)

    def _generator(self, max_tokens: int):
        from ghostwriter.generate import get_generator

        with self._lock:
            if max_tokens not in self._generators:
                generate = dataclasses.replace(self.config.generate, max_new_tokens=max_tokens)
                # load_lm caches the model per process, so another max_tokens costs no second load
                self._generators[max_tokens] = get_generator(dataclasses.replace(self.config, generate=generate))
            return self._generators[max_tokens]

    def _pipeline(self, variant: str):
        from ghostwriter.pipeline import Pipeline, generator_token_counter

        with self._lock:
            if variant not in self._pipelines:
                counter = generator_token_counter(self._generators[self.config.generate.max_new_tokens])
                pipe = Pipeline.from_config(self.config, self.dataset, variant=variant or None, count_tokens=counter)
                if pipe.config.rank.ranker in INDEX_RANKERS:
                    pipe = dataclasses.replace(pipe, ranker=IndexedRanker(pipe.config.rank.ranker, pipe.config,
                                                                          self.indexes, self._keys))
                self._pipelines[variant] = pipe
            return self._pipelines[variant]

    def _example(self, request: CompletionRequest) -> Example:
        self._keys[request.request_id] = request.user_key
        profile = self.indexes.get(request.user_key, request.profile_size).profile()
        return Example(example_id=request.request_id, user_id=request.user_id, timestamp=int(time.time()),
                       context=request.full_context, target="", profile=profile)

    def _prepare(self, requests: Sequence[CompletionRequest], variant: str, clock: dict):
        pipe = self._pipeline(variant)
        timed = dataclasses.replace(pipe, ranker=_Timed(pipe.ranker, "rank", clock, "rank"),
                                    summarizer=_Timed(pipe.summarizer, "summarize", clock, "summarize"),
                                    synthesizer=_Timed(pipe.synthesizer, "synthesize", clock, "synthesize"))
        started = time.perf_counter()
        examples = [self._example(r) for r in requests]
        clock["profile"] = (time.perf_counter() - started) * 1000
        try:
            prepared = timed.prepare(examples)
        finally:
            for r in requests:
                self._keys.pop(r.request_id, None)
        total = (time.perf_counter() - started) * 1000
        clock["prompt"] = total - sum(clock.get(k, 0.0) for k in ("profile", "rank", "summarize", "synthesize"))
        return prepared

    def complete(self, requests: Sequence[CompletionRequest]) -> list[Completion]:
        """Requests grouped by (variant, max_tokens); each group is prepared and generated as one batch."""
        groups: dict[tuple[str, int], list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.variant, r.max_tokens), []).append(i)
        out: list[Completion | None] = [None] * len(requests)
        for (variant, max_tokens), members in groups.items():
            batch = [requests[i] for i in members]
            clock: dict[str, float] = {}
            prepared = self._prepare(batch, variant, clock)
            started = time.perf_counter()
            texts = self._generator(max_tokens).generate([p.prompt for p in prepared])
            clock["generate"] = (time.perf_counter() - started) * 1000
            for i, r, p, text in zip(members, batch, prepared, texts, strict=True):
                out[i] = _completion(r, p, text, dict(clock))
        return out

    def stream(self, request: CompletionRequest, on_event: OnEvent) -> Completion:
        """Evidence first, then text as the model writes it (transformers), or in one piece otherwise."""
        clock: dict[str, float] = {}
        prepared = self._prepare([request], request.variant, clock)[0]
        on_event("evidence", _completion(request, prepared, "", dict(clock)))
        generator = self._generator(request.max_tokens)
        watch = Stopwatch()
        if getattr(generator, "name", "") == "transformers":
            text = _stream_transformers(generator, prepared.prompt, on_event)
        else:
            text = generator.generate([prepared.prompt])[0]
            on_event("token", text)
        watch.lap("generate")
        clock.update(watch.timings)
        return _completion(request, prepared, text, clock)


def _completion(request: CompletionRequest, prepared, text: str, timings: dict) -> Completion:
    return Completion(request_id=request.request_id, variant=prepared.variant, text=text, ranking=prepared.ranking,
                      summary=prepared.summary, words=prepared.words, prompt=prepared.prompt,
                      prompt_tokens=prepared.prompt_tokens, timings_ms=timings)


def _stream_transformers(generator, prompt: str, on_event: OnEvent) -> str:
    """Generate one prompt with a streamer that reports each decoded piece; returns the cleaned text."""
    import torch
    from transformers import TextStreamer

    from ghostwriter.models.formats import clean_output, format_prompt, stop_token_ids, uses_chat

    lm, cfg, model_cfg = generator.load(), generator.config.generate, generator.config.model

    class _Forward(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False):
            if text:
                on_event("token", text)

    chat = uses_chat(lm.tokenizer, lm.is_seq2seq, model_cfg.prompt_format)
    encoded = lm.tokenizer([format_prompt(lm.tokenizer, prompt, lm.is_seq2seq, model_cfg.prompt_format)],
                           return_tensors="pt", add_special_tokens=not chat)
    encoded = {k: v.to(lm.device) for k, v in encoded.items()}
    streamer = _Forward(lm.tokenizer, skip_prompt=not lm.is_seq2seq, skip_special_tokens=True)
    with torch.inference_mode():
        out = lm.model.generate(**encoded, max_new_tokens=cfg.max_new_tokens, num_beams=1, do_sample=False,
                                repetition_penalty=cfg.repetition_penalty,
                                eos_token_id=stop_token_ids(lm.tokenizer, lm.model),
                                pad_token_id=lm.tokenizer.pad_token_id, streamer=streamer)
    new = out if lm.is_seq2seq else out[:, encoded["input_ids"].shape[1]:]
    raw = lm.tokenizer.batch_decode(new, skip_special_tokens=True)[0]
    return clean_output(raw, prompt, cfg.stop_at_newline)
