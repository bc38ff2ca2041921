"""micrograd's published demo, shared by the benchmarks that record it.

MLP(2, [16, 16, 1]) on the 100 moons points (seed 1337), SVM max-margin loss +
1e-4 L2, backward, SGD with micrograd's learning-rate schedule; plain Python
numbers in. (bench/workloads.py keeps its own copy on purpose: it must import
the engine it measures from a given folder.)
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micrograd import Value  # noqa: E402  (after the path setup, so this checkout is measured)
from micrograd.nn import MLP  # noqa: E402

MOONS = ROOT / "bench" / ".cache" / "moons.json"


def moons() -> tuple[list[list[float]], list[int]]:
    """The published demo's data as plain Python numbers (cached by engine_vs_micrograd)."""
    if MOONS.exists():
        data = json.loads(MOONS.read_text())
        return data["X"], data["y"]
    import numpy as np
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    return X.tolist(), [int(v) * 2 - 1 for v in y]


def demo_model() -> MLP:
    random.seed(1337)  # the demo seeds before building MLP(2, [16, 16, 1])
    return MLP(2, [16, 16, 1])


def demo_step(model: MLP, X, y, k: int) -> Value:
    """Step k of the demo: forward, SVM max-margin loss + L2, backward, SGD update."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss
