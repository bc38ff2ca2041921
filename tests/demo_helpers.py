"""micrograd's demo for tests that record it: plain-float moons data, the model, one SGD step.

(tests/test_nn.py keeps the published demo verbatim, numpy inputs and accuracy included.)
"""

from __future__ import annotations

import random

import numpy as np
from sklearn.datasets import make_moons

from micrograd import Value
from micrograd.nn import MLP


def demo_setup():
    """Seeds, 100 moons as plain floats, labels in {-1, 1}, and MLP(2, [16, 16, 1])."""
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    model = MLP(2, [16, 16, 1])
    return X.tolist(), [int(v) * 2 - 1 for v in y], model


def demo_step(model, X, y, k):
    """Step k of the demo: forward, SVM loss + L2, backward, SGD. Returns the loss Value."""
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= (1.0 - 0.9 * k / 100) * p.grad
    return total
