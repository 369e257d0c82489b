"""Learning-rate schedules as pure functions of the optimizer step."""
from __future__ import annotations

import math


def warmup_inverse_sqrt(step: int, warmup_steps: int) -> float:
    """The paper's schedule as a multiplier of the base rate (Li et al. 2023, sec. 5.2; T5's Adafactor recipe).

    Linear warm-up to 1 over ``warmup_steps``, then inverse square-root decay,
    ``sqrt(warmup / step)``, so the rate is continuous at the end of warm-up.
    ``step`` counts optimizer steps from 0 (the first update uses ``step=0``).

    >>> [round(warmup_inverse_sqrt(s, 4), 3) for s in (0, 1, 3, 4, 16)]
    [0.25, 0.5, 1.0, 1.0, 0.5]
    """
    current = step + 1
    if warmup_steps <= 0:
        return 1.0 / math.sqrt(current)
    if current <= warmup_steps:
        return current / warmup_steps
    return math.sqrt(warmup_steps / current)
