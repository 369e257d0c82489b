"""What the trainer needs to run under ``accelerate launch``: DDP, FSDP or DeepSpeed ZeRO, one code path.

The trainer's batch stays *global*: ``train.batch_size`` pairs per micro-batch whatever the
number of processes, and :class:`~ghostwriter.train.pairs.BatchOrder` still decides which
pairs make up micro-batch ``k``. Each process takes its share of those pairs
(:meth:`Distributed.shard`) and scales its loss so the averaged gradient equals the gradient
of the one-process loss on the whole micro-batch (the mean over its target tokens, however the
tokens fall between processes). So a run on N GPUs takes the same steps, logs the same
losses (to rounding) and resumes from the same checkpoints as a run on one.

Launched without accelerate (no ``WORLD_SIZE``), :func:`get_distributed` returns a
:class:`SingleProcess` that imports nothing and changes nothing.

>>> dist = get_distributed()                                  # doctest: +SKIP
>>> model, optimizer = dist.prepare(model, optimizer)
>>> local = dist.shard(order.batch(micro_step))               # this process's pairs
>>> loss = dist.scale_loss(model(**batch).loss, n_target_tokens)
>>> dist.backward(loss); train_loss = dist.sum(loss.item()) / dist.world_size
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from ghostwriter.errors import GhostwriterError, require


class SingleProcess:
    """One process: every method is the identity, so the trainer has one code path."""

    rank, world_size, is_main = 0, 1, True
    device = None  # the trainer's own device choice stands

    def prepare(self, model, optimizer):
        return model, optimizer

    def shard(self, indices: Sequence[int]) -> tuple[int, ...]:
        return tuple(indices)

    def scale_loss(self, loss, local_tokens: int):
        return loss

    def backward(self, loss) -> None:
        loss.backward()

    def sum(self, value: float) -> float:
        return value

    def clip_grad_norm_(self, model, max_norm: float) -> float:
        import torch

        return float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm))

    def no_sync(self, model):
        return contextlib.nullcontext()

    def unwrap(self, model):
        return model

    def state_dict(self, model):
        return None  # save_pretrained reads the model's own

    def wait(self) -> None:
        pass


class AccelerateProcess(SingleProcess):
    """One of ``world_size`` processes started by ``accelerate launch`` (DDP, FSDP or DeepSpeed)."""

    def __init__(self, cpu: bool | None = None):
        accelerate = require("accelerate", "scale")
        if cpu is None:
            cpu = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true")
        self.accelerator = accelerate.Accelerator(cpu=cpu)
        self.rank = self.accelerator.process_index
        self.world_size = self.accelerator.num_processes
        self.is_main = self.accelerator.is_main_process
        self.device = str(self.accelerator.device)

    def prepare(self, model, optimizer):
        return self.accelerator.prepare(model, optimizer)

    def shard(self, indices: Sequence[int]) -> tuple[int, ...]:
        """This process's pairs of a global micro-batch: every ``world_size``-th, starting at ``rank``."""
        if len(indices) < self.world_size:
            raise GhostwriterError(f"train.batch_size={len(indices)} is smaller than the {self.world_size} "
                                   f"processes; make it at least {self.world_size} (it is the global batch)")
        return tuple(indices[self.rank::self.world_size])

    def scale_loss(self, loss, local_tokens: int):
        """``loss`` (this shard's mean) * tokens * world / global tokens: DDP's mean of these is the global mean."""
        global_tokens = self.sum(float(local_tokens))
        return loss * (local_tokens * self.world_size / max(global_tokens, 1.0))

    def backward(self, loss) -> None:
        self.accelerator.backward(loss)

    def sum(self, value: float) -> float:
        import torch

        tensor = torch.tensor([value], dtype=torch.float64, device=self.accelerator.device)
        return float(self.accelerator.reduce(tensor, reduction="sum").item())

    def clip_grad_norm_(self, model, max_norm: float) -> float:
        return float(self.accelerator.clip_grad_norm_(model.parameters(), max_norm))

    def no_sync(self, model):
        """Skip the gradient all-reduce on micro-batches before the last of an accumulation."""
        return self.accelerator.no_sync(model)

    def unwrap(self, model):
        return self.accelerator.unwrap_model(model)

    def state_dict(self, model):
        """The full state dict, gathered from FSDP / ZeRO-3 shards (call on every process)."""
        return self.accelerator.get_state_dict(model)

    def wait(self) -> None:
        self.accelerator.wait_for_everyone()


def launched_world_size() -> int:
    """The number of processes ``accelerate launch`` / ``torchrun`` started (1 when run plainly)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


_launched: AccelerateProcess | None = None


def get_distributed(cpu: bool | None = None) -> SingleProcess:
    """:class:`AccelerateProcess` under a multi-process launch, else :class:`SingleProcess` (no imports).

    The process group is set up once: every later call in the process returns the same object.
    """
    global _launched
    if launched_world_size() <= 1:
        return SingleProcess()
    if _launched is None:
        _launched = AccelerateProcess(cpu)
    return _launched
