"""The training loop: optimizer steps, validation, JSONL logs, checkpoints and resume.

The same loop runs as one process or as each of N processes started by ``accelerate launch``
(:mod:`ghostwriter.scale.distributed`): every process takes its share of each global
micro-batch, the losses and gradients are reduced so the steps equal one process's, and only
the main process writes the log, checkpoints and exported models.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ghostwriter.config import Config, TrainConfig, save_config, to_dict
from ghostwriter.errors import GhostwriterError, require
from ghostwriter.io import atomic_write_text
from ghostwriter.models import load_folder, pick_device, resolve_model
from ghostwriter.train.pairs import BatchOrder, Pair, collate, encode_pairs
from ghostwriter.train.schedule import warmup_inverse_sqrt

CHECKPOINTS = "checkpoints"
STATE = "trainer_state.json"
OPTIMIZER = "optimizer.pt"
RUN_CONFIG = "ghostwriter_config.json"
# Fields that must match when resuming: changing them would change the data order or the model.
RESUME_FIXED = ("method", "optimizer", "batch_size", "grad_accum", "max_input_tokens", "max_target_tokens",
                "lora_r", "lora_alpha", "multitask")


class TrainError(GhostwriterError):
    """A run folder that cannot be started or resumed as asked."""


@dataclass(frozen=True)
class TrainResult:
    """Where a finished run put things, and how it went."""

    out_dir: Path
    final_model: Path  # a plain model folder (LoRA merged), loadable by load_lm / --model
    best_model: Path | None  # lowest validation loss, when validation ran
    steps: int
    best_val_loss: float | None
    seconds_per_step: float  # this process's mean, excluding validation and checkpoints


def train_on_pairs(model_name: str, train_pairs: list[Pair], val_pairs: list[Pair], train_config: TrainConfig,
                   out_dir: Path, *, config: Config | None = None, resume: bool = False,
                   progress: bool = True) -> TrainResult:
    """Fine-tune ``model_name`` on (input, target) pairs; see :mod:`ghostwriter.train` for the layout."""
    config = replace(config or Config(), train=train_config)
    trainer = _Trainer(model_name, train_pairs, val_pairs, config, Path(out_dir), resume, progress)
    return trainer.run()


def latest_checkpoint(out_dir: Path) -> Path | None:
    found = sorted((Path(out_dir) / CHECKPOINTS).glob("step-*"))
    return found[-1] if found else None


class _Trainer:
    def __init__(self, model_name, train_pairs, val_pairs, config: Config, out: Path, resume: bool, progress: bool):
        self.torch = require("torch", "train")
        self.config, self.cfg, self.out, self.progress = config, config.train, out, progress
        self.model_name, self.train_pairs, self.val_pairs = model_name, list(train_pairs), list(val_pairs)
        from ghostwriter.scale.distributed import get_distributed

        self.dist = get_distributed()
        self.device = self.dist.device or pick_device(config)  # under accelerate: this process's device
        if config.train.threads:
            self.torch.set_num_threads(config.train.threads)
        self.state = {"step": 0, "best_val_loss": None, "best_step": None, "bad_evals": 0, "train_seconds": 0.0}
        self.checkpoint = self._check_out_dir(resume)

    # ------------------------------------------------------------------ setup
    def _check_out_dir(self, resume: bool) -> Path | None:
        checkpoint = latest_checkpoint(self.out)
        if checkpoint and not resume:
            raise TrainError(f"{self.out}: already holds a run (last checkpoint {checkpoint.name}); "
                             f"pass --resume to continue it, or choose a new --out folder")
        if resume and checkpoint is None:
            if (self.out / "final").exists():
                raise TrainError(f"{self.out}: this run already finished (see {self.out / 'final'})")
            return None  # nothing saved yet: start from the beginning
        if checkpoint is not None:
            saved = json.loads((checkpoint / RUN_CONFIG).read_text(encoding="utf-8"))["train"]
            changed = [f"train.{k}" for k in RESUME_FIXED if saved.get(k) != getattr(self.cfg, k)]
            if changed:
                raise TrainError(f"cannot resume {self.out} with a different {', '.join(changed)}; "
                                 f"the checkpoint was made with {', '.join(f'{k[6:]}={saved[k[6:]]}' for k in changed)}")
        return checkpoint

    def _load_model(self):
        base = resolve_model(self.model_name, self.config)
        full_checkpoint = self.checkpoint is not None and self.cfg.method == "full"
        lm = load_folder(self.checkpoint if full_checkpoint else base, device="cpu", dtype="float32",
                         name=self.model_name)
        self.base_path, self.lm, self.model = base, lm, lm.model
        if self.cfg.method == "lora":
            peft = require("peft", "train")
            if self.checkpoint is not None:
                self.model = peft.PeftModel.from_pretrained(self.model, str(self.checkpoint), is_trainable=True)
            else:
                task = peft.TaskType.SEQ_2_SEQ_LM if lm.is_seq2seq else peft.TaskType.CAUSAL_LM
                lora = peft.LoraConfig(task_type=task, r=self.cfg.lora_r, lora_alpha=self.cfg.lora_alpha,
                                       lora_dropout=self.cfg.lora_dropout, target_modules="all-linear")
                self.model = peft.get_peft_model(self.model, lora)
        self.model.to(self.device)
        self.model.train()

    def _optimizer(self):
        torch = self.torch
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.cfg.optimizer == "adafactor":
            from transformers.optimization import Adafactor

            # Fixed base rate (the schedule below scales it), as in T5 fine-tuning.
            optimizer = Adafactor(params, lr=self.cfg.learning_rate, relative_step=False, scale_parameter=False,
                                  warmup_init=False)
        else:
            optimizer = torch.optim.AdamW(params, lr=self.cfg.learning_rate, weight_decay=self.cfg.weight_decay)
        warmup = self.cfg.warmup_steps
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: warmup_inverse_sqrt(s, warmup))
        return optimizer, scheduler

    # ------------------------------------------------------------------ the loop
    def run(self) -> TrainResult:
        torch, cfg = self.torch, self.cfg
        self._load_model()
        tok = self.lm.tokenizer
        encode = lambda pairs: encode_pairs(pairs, tok, self.lm.is_seq2seq, self.config.model.prompt_format,  # noqa: E731
                                            cfg.max_input_tokens, cfg.max_target_tokens)
        train, val = encode(self.train_pairs), encode(self.val_pairs[: cfg.eval_examples])
        order = BatchOrder([e.length for e in train], cfg.batch_size, self.config.run.seed)
        optimizer, scheduler = self._optimizer()
        self.model, optimizer = self.dist.prepare(self.model, optimizer)
        dist, main = self.dist, self.dist.is_main
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
        if self.checkpoint is not None:
            self._restore(optimizer, scheduler)
        else:
            torch.manual_seed(self.config.run.seed)
        if main:
            save_config(self.config, self.out / RUN_CONFIG)
        log = self._open_log()
        autocast = self._autocast()
        bar = _progress(cfg.max_steps, self.state["step"], self.progress and main)
        session_seconds, session_steps = 0.0, 0
        try:
            while self.state["step"] < cfg.max_steps:
                step = self.state["step"]
                started = time.perf_counter()
                loss_sum, tokens, ids = 0.0, 0, []
                for micro in range(cfg.grad_accum):
                    indices = order.batch(step * cfg.grad_accum + micro)
                    ids.extend(indices)
                    local = dist.shard(indices)  # this process's pairs of the global micro-batch
                    batch = {k: v.to(self.device) for k, v in
                             collate([train[i] for i in local], self.lm.is_seq2seq, tok.pad_token_id).items()}
                    # gradients are all-reduced once per optimizer step, on its last micro-batch
                    sync = contextlib.nullcontext() if micro == cfg.grad_accum - 1 else dist.no_sync(self.model)
                    with sync:
                        with autocast:
                            loss = self.model(**batch).loss
                        loss = dist.scale_loss(loss, int((batch["labels"] != -100).sum())) / cfg.grad_accum
                        dist.backward(loss)
                    loss_sum += dist.sum(loss.item()) / dist.world_size  # the global micro-batch's token mean
                    tokens += int(dist.sum(int(batch["attention_mask"].sum()) + (
                        int((batch["labels"] != -100).sum()) if self.lm.is_seq2seq else 0)))
                if cfg.grad_clip > 0:
                    dist.clip_grad_norm_(self.model, cfg.grad_clip)
                lr = scheduler.get_last_lr()[0]
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                seconds = time.perf_counter() - started
                session_seconds, session_steps = session_seconds + seconds, session_steps + 1
                self.state["step"] = step = step + 1
                self.state["train_seconds"] += seconds
                _write(log, {"step": step, "train_loss": round(loss_sum, 6), "lr": lr, "seconds": round(seconds, 4),
                             "tokens": tokens, "tokens_per_s": round(tokens / seconds, 1),
                             "batch": _short_hash(ids)})
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum:.3f}", s_per_step=f"{seconds:.2f}")
                stop = False
                if val and ((cfg.eval_every and step % cfg.eval_every == 0) or step == cfg.max_steps):
                    stop = self._validate(val, log, autocast)
                if (cfg.save_every and step % cfg.save_every == 0) or step == cfg.max_steps or stop:
                    self._save_checkpoint(optimizer, scheduler)
                if stop:
                    print(f"early stopping at step {step}: no validation improvement in "
                          f"{cfg.early_stopping_patience} evaluations", file=sys.stderr)
                    break
        finally:
            bar.close()
            log.close()
        final = self._export(latest_checkpoint(self.out), self.out / "final")
        best = self.out / "best" if (self.out / "best").exists() else None
        return TrainResult(self.out, final, best, self.state["step"], self.state["best_val_loss"],
                           session_seconds / session_steps if session_steps else math.nan)

    def _autocast(self):
        import contextlib

        wanted = self.cfg.bf16
        on_gpu = self.device.startswith("cuda")
        use = wanted == "on" or (wanted == "auto" and on_gpu and self.torch.cuda.is_bf16_supported())
        if not use:
            return contextlib.nullcontext()
        return self.torch.autocast(device_type="cuda" if on_gpu else "cpu", dtype=self.torch.bfloat16)

    def _validate(self, val, log, autocast) -> bool:
        """Mean validation loss (token-weighted); saves ``best/`` on improvement; True means stop early."""
        torch = self.torch
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():  # not inference_mode: a DDP/FSDP wrapper's forward touches its buffers
            for start in range(0, len(val), self.cfg.batch_size):
                items = val[start:start + self.cfg.batch_size]
                batch = {k: v.to(self.device) for k, v in
                         collate(items, self.lm.is_seq2seq, self.lm.tokenizer.pad_token_id).items()}
                with autocast:
                    loss = self.model(**batch).loss
                n = int((batch["labels"] != -100).sum())
                total, count = total + float(loss) * n, count + n
        self.model.train()
        val_loss = total / max(count, 1)
        # every process scores all of the validation pairs with the same weights: the same loss everywhere
        _write(log, {"step": self.state["step"], "val_loss": round(val_loss, 6), "val_tokens": count})
        best = self.state["best_val_loss"]
        if best is None or val_loss < best:
            self.state.update(best_val_loss=val_loss, best_step=self.state["step"], bad_evals=0)
            self._save_model(self.out / "best", merged=True)
            return False
        self.state["bad_evals"] += 1
        patience = self.cfg.early_stopping_patience
        return bool(patience) and self.state["bad_evals"] >= patience

    # ------------------------------------------------------------------ saving and resuming
    def _save_weights(self, tmp: Path, merged: bool) -> None:
        """The model's weights and tokenizer into ``tmp`` on the main process (every process must call it)."""
        state = self.dist.state_dict(self.model)  # FSDP / ZeRO-3 shards gathered; None: the model's own
        model = self.dist.unwrap(self.model)
        if not self.dist.is_main:
            return
        shutil.rmtree(tmp, ignore_errors=True)
        if merged and self.cfg.method == "lora":
            model = _merged_copy(model)
        extra = {"state_dict": state} if state is not None and self.cfg.method == "full" else {}
        model.save_pretrained(tmp, safe_serialization=True, **extra)
        self.lm.tokenizer.save_pretrained(tmp)
        save_config(self.config, tmp / RUN_CONFIG)

    def _save_model(self, folder: Path, merged: bool) -> None:
        """Weights (safetensors) and tokenizer into ``folder``, atomically; LoRA merged when asked."""
        tmp = folder.with_name(f".{folder.name}.tmp")
        self._save_weights(tmp, merged)
        if self.dist.is_main:
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        self.dist.wait()

    def _save_checkpoint(self, optimizer, scheduler) -> None:
        """``checkpoints/step-N``: model (or adapter), tokenizer, config, optimizer + RNG + data position."""
        torch = self.torch
        step = self.state["step"]
        folder = self.out / CHECKPOINTS / f"step-{step:06d}"
        tmp = folder.with_name(f".{folder.name}.tmp")
        self._save_weights(tmp, merged=False)
        if self.dist.is_main:  # DDP: every process holds the same optimizer state
            torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                        "torch_rng": torch.get_rng_state()}, tmp / OPTIMIZER)
            state = {**self.state, "micro_step": step * self.cfg.grad_accum, "base_model": str(self.base_path),
                     "model_name": self.model_name, "world_size": self.dist.world_size}
            atomic_write_text(tmp / STATE, json.dumps(state, indent=2) + "\n")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
            for old in sorted((self.out / CHECKPOINTS).glob("step-*"))[:-self.cfg.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        self.dist.wait()

    def _restore(self, optimizer, scheduler) -> None:
        torch = self.torch
        saved = torch.load(self.checkpoint / OPTIMIZER, map_location="cpu", weights_only=True)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["torch_rng"])
        state = json.loads((self.checkpoint / STATE).read_text(encoding="utf-8"))
        self.state = {k: state[k] for k in self.state}
        print(f"resuming {self.out} from {self.checkpoint.name} (step {self.state['step']})", file=sys.stderr)

    def _open_log(self):
        """``log.jsonl``, cut back to the restored step so a resumed log has each step once (main process only)."""
        if not self.dist.is_main:
            return open(os.devnull, "w", encoding="utf-8")
        path = self.out / "log.jsonl"
        kept = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and json.loads(line)["step"] <= self.state["step"]:
                    kept.append(line + "\n")
        atomic_write_text(path, "".join(kept))
        return open(path, "a", encoding="utf-8")

    def _export(self, checkpoint: Path | None, folder: Path) -> Path:
        """The final plain model folder (LoRA merged) next to the checkpoints."""
        if checkpoint is None:  # every process sees the main's checkpoints (written before a barrier)
            raise TrainError(f"{self.out}: no checkpoint was written")
        self._save_model(folder, merged=True)
        if not self.dist.is_main:
            return folder
        summary = {"steps": self.state["step"], "best_val_loss": self.state["best_val_loss"],
                   "best_step": self.state["best_step"], "train_seconds": round(self.state["train_seconds"], 2),
                   "config": to_dict(self.config)}
        atomic_write_text(self.out / "result.json", json.dumps(summary, indent=2) + "\n")
        return folder


def _merged_copy(peft_model):
    """A plain model with the LoRA weights folded in, leaving the training model untouched."""
    import copy

    return copy.deepcopy(peft_model).merge_and_unload()


def _write(handle, record: dict) -> None:
    handle.write(json.dumps(record) + "\n")
    handle.flush()


def _short_hash(ids) -> str:
    import hashlib

    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:10]


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc="train", unit="step",
                dynamic_ncols=True, file=sys.stderr)
