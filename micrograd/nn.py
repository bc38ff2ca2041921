"""Neurons, layers and MLPs over Values, with micrograd 0.1.0's API and random-number order.

Every module has the same few methods: construct, call, parameters, naming
(`named_parameters`, inherited) and repr. While a listener is attached, a module
call runs inside a scope named after the module (`MLP/layers.0/neurons.3`), and
every parameter carries its dotted name as its label (`layers.0.neurons.3.w.1`).
"""

from __future__ import annotations

import operator
import random
from collections.abc import Iterator
from contextlib import nullcontext

from . import events as _events
from .engine import Value

_ACTIVATIONS = ("relu", "tanh", "sigmoid")
_no_scope = nullcontext()


class Module:
    """Base class: parameters, their names, zeroing grads and scoping calls."""

    _scope_name = ""  # set by the parent module; a root module uses its class name

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list[Value]:
        return []

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) pairs, found by walking this module's attributes."""
        for attr, item in vars(self).items():
            yield from _named(item, prefix + attr)

    def _scoped(self):
        if not _events.active:
            return _no_scope
        return _events.scope(self._scope_name or type(self).__name__)

    def _adopt(self, children, name):
        """Give child modules their scope names and every parameter its dotted label."""
        for i, child in enumerate(children):
            child._scope_name = f"{name}.{i}"
        for dotted, p in self.named_parameters():
            p.label = dotted


class Neuron(Module):
    """A weighted sum of inputs plus a bias, optionally through a nonlinearity."""

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        if isinstance(nonlin, str) and nonlin not in _ACTIVATIONS:
            raise ValueError(
                f"nonlin must be true (ReLU), false (linear) or one of "
                f"{_ACTIVATIONS}, got {nonlin!r}"
            )
        self.nonlin = nonlin  # as micrograd: any true value is ReLU, any false linear
        self._adopt([], "")

    def __call__(self, x):
        if isinstance(x, Value):
            x = [x]  # a one-neuron layer hands over a bare Value (micrograd issue #13)
        if len(x) != len(self.w):
            raise ValueError(f"{self!r} expects {len(self.w)} inputs, got {len(x)}")
        with self._scoped():
            # b + w0*x0 + w1*x1 + ..., in micrograd's order (map runs in C; a generator costs more)
            act = sum(map(operator.mul, self.w, x), self.b)
            if isinstance(self.nonlin, str):
                return getattr(act, self.nonlin)()
            return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        nonlin = self.nonlin
        kind = (
            nonlin.title()
            if isinstance(nonlin, str)
            else "ReLU"
            if nonlin
            else "Linear"
        )
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons that all see the same inputs."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self._adopt(self.neurons, "neurons")

    def __call__(self, x):
        with self._scoped():
            out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: nonlinear hidden layers, a linear last layer."""

    def __init__(self, nin, nouts):
        sz = [nin] + list(nouts)
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)
            for i in range(len(nouts))
        ]
        self._adopt(self.layers, "layers")

    def __call__(self, x):
        with self._scoped():
            for layer in self.layers:
                x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _named(item, name):
    if isinstance(item, Value):
        yield name, item
    elif isinstance(item, Module):
        yield from item.named_parameters(name + ".")
    elif isinstance(item, (list, tuple)):
        for i, sub in enumerate(item):
            yield from _named(sub, f"{name}.{i}")
