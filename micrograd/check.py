"""Two gradient checks that name the worst offender instead of dumping numbers.

`gradcheck(f, inputs)` calls f with a list of fresh Values made from inputs and
compares backward() with central finite differences. `torch_crosscheck(root)`
replays the whole graph under `root` in PyTorch float64 and compares every node's
grad with torch's. Both return a small result whose text names the worst input or
node; its truth value is its `ok` flag. torch is imported only when
torch_crosscheck runs, so `import micrograd` never imports it.

torch_crosscheck replays built-in ops by name. A custom op, built as
`Value(data, children, 'cube', local_grads=...)`, has no torch twin: pass one in
`ops={'cube': lambda t: t**3}` to have it checked; otherwise it is replayed as a
linear function of its children with its own recorded local_grads, which checks
everything around it but not the op itself, and the report lists it as unchecked.
A closure node (an op written the lecture's way) has no local_grads to fall back
on: its op needs a torch twin by name. The root may also be a Value of your own
micrograd-style class (`data`, `grad`, `_prev`, `_op`, `backward()`): its nodes
are replayed the same way, children in their `_prev` order.
Leaf grads are zeroed for micrograd's backward and restored afterwards, so leaves
keep what they had accumulated; interior grads stay as this backward set them
(a class of your own, whose backward may not reset them, starts from all zeros).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .engine import Value

# ------------------------------------------------------------------ gradcheck


@dataclass(frozen=True)
class InputCheck:
    """One input's derivative from backward() and from finite differences."""

    index: int
    label: str
    analytic: float
    numeric: float
    rel_err: float

    def __str__(self):
        name = f" ({self.label})" if self.label else ""
        return (
            f"input {self.index}{name}: analytic {self.analytic:.6g}, "
            f"numeric {self.numeric:.6g}, rel err {self.rel_err:.3g}"
        )


@dataclass(frozen=True, repr=False)
class GradcheckResult:
    """Whether backward() agrees with finite differences, and the worst input."""

    ok: bool
    worst: InputCheck
    checks: tuple[InputCheck, ...]  # one per input, in input order

    def __bool__(self):
        return self.ok

    def __str__(self):
        verdict = "passed" if self.ok else "FAILED"
        return f"gradcheck {verdict} on {len(self.checks)} inputs; worst {self.worst}"

    __repr__ = __str__


def gradcheck(
    f: Callable[[list[Value]], Value],
    inputs: Iterable,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> GradcheckResult:
    """Check backward() against (f(x+eps) - f(x-eps)) / 2eps for each input of f."""
    if not callable(f):
        raise TypeError(
            f"gradcheck needs a function of a list of Values, got {f!r:.40}"
        )
    if isinstance(inputs, (str, bytes, Value)) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"gradcheck inputs must be a list of numbers or Values, got {inputs!r:.60}"
        )
    leaves = []
    for i, x in enumerate(inputs):
        try:
            leaves.append(x if isinstance(x, Value) else Value(x))
        except TypeError:
            raise TypeError(
                f"gradcheck inputs[{i}] must be a number or a Value, "
                f"got {type(x).__name__}: {x!r:.60}"
            ) from None
    if not leaves:
        raise ValueError("gradcheck needs at least one input")

    def run(i=0, shift=0.0):
        # fresh leaves every time, so the caller's Values are never touched
        xs = [Value(v.data, label=v.label) for v in leaves]
        if shift:  # adding 0.0 would turn a -0.0 input into +0.0
            xs[i].data += shift
        y = f(xs)
        if not isinstance(y, Value):
            raise TypeError(f"gradcheck's f must return a Value, got {y!r:.60}")
        return xs, y

    xs, y = run()
    y.backward()
    checks, excess = [], []
    for i, x in enumerate(xs):
        a, n = x.grad, (run(i, eps)[1].data - run(i, -eps)[1].data) / (2 * eps)
        # pass when |a - n| <= atol + rtol |n|, as torch.allclose(analytic, numeric)
        e = 0.0 if a == n else abs(a - n) / (atol + rtol * abs(n))
        excess.append(math.inf if math.isnan(e) else e)
        checks.append(InputCheck(i, x.label, a, n, _rel_err(a, n)))
    worst = max(range(len(checks)), key=excess.__getitem__)
    return GradcheckResult(max(excess) <= 1.0, checks[worst], tuple(checks))


# ------------------------------------------------------------ torch_crosscheck


@dataclass(frozen=True)
class Mismatch:
    """A node whose grad differs between micrograd and torch."""

    index: int  # position in backward's order; the root is node 0
    name: str  # the node's label, else its op
    micrograd: float
    torch: float
    rel_err: float
    # set where the error enters (all of this node's consumers agree with torch):
    # the consumers whose local derivative disagrees with torch's, else all of them
    enters_via: tuple[str, ...] = ()

    def __str__(self):
        via = f"; enters via {', '.join(self.enters_via)}" if self.enters_via else ""
        return (
            f"node {self.index} ({self.name}): micrograd {self.micrograd:.6g}, "
            f"torch {self.torch:.6g}, rel err {self.rel_err:.3g}{via}"
        )


@dataclass(frozen=True, repr=False)
class CrosscheckReport:
    """Every node whose micrograd grad differs from PyTorch's, worst first."""

    ok: bool
    nodes: int
    mismatches: tuple[Mismatch, ...]
    unchecked: tuple[str, ...]  # custom nodes replayed from their own local_grads

    def __bool__(self):
        return self.ok

    def __str__(self, shown=10):
        n = len(self.mismatches)
        if self.ok:
            lines = [f"torch_crosscheck passed: all {self.nodes} grads match torch"]
        else:
            lines = [f"torch_crosscheck FAILED: {n} of {self.nodes} grads differ:"]
            lines += [f"  {m}" for m in self.mismatches[:shown]]
            lines += [f"  ... and {n - shown} more"] if n > shown else []
        if self.unchecked:
            more = " ..." if len(self.unchecked) > shown else ""
            names = ", ".join(self.unchecked[:shown])
            lines.append(f"unchecked custom ops (own local_grads): {names}{more}")
        return "\n".join(lines)

    __repr__ = __str__


def torch_crosscheck(
    root: Value,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    ops: Mapping[str, Callable] | None = None,
) -> CrosscheckReport:
    """Replay the graph under `root` in torch float64 and compare every node's grad."""
    try:
        import torch
    except ImportError as e:
        msg = "torch_crosscheck needs PyTorch: pip install 'mgdebug[torch]'"
        raise ImportError(msg) from e
    ours = isinstance(root, Value)
    if not ours and not all(hasattr(root, k) for k in ("_prev", "data", "backward")):
        raise TypeError(
            f"torch_crosscheck needs a Value (or one of a micrograd-style class), "
            f"got {type(root).__name__}"
        )

    class Recorded(torch.autograd.Function):
        # a custom node: its value and local derivatives as micrograd recorded them
        @staticmethod
        def forward(ctx, data, local_grads, *children):
            ctx.local_grads = local_grads
            return torch.tensor(data, dtype=torch.float64)

        @staticmethod
        def backward(ctx, g):
            return (None, None, *(g * d for d in ctx.local_grads))

    replay = {"+": torch.add, "*": torch.mul, "pow": torch.pow, "ReLU": torch.relu}
    replay |= {op: getattr(torch, op) for op in ("tanh", "exp", "log", "sigmoid")}
    replay |= ops or {}
    order = _order(root)
    index = {v: i for i, v in enumerate(order)}

    def name(v):
        return f"node {index[v]} ({_name(v)})"

    # 1. torch: rebuild every node from its children, children first
    t, unchecked, consumers = {}, [], {}
    for v in reversed(order):
        args = [t[c] for c in v._prev]
        for c in v._prev:
            consumers.setdefault(c, {})[v] = None  # a dict as an ordered set
        if not v._prev:
            out = torch.tensor(v.data, dtype=torch.float64, requires_grad=True)
        elif (out := _torch_op(replay, v, args)) is None:
            if _locals(v) is None:
                raise ValueError(
                    f"torch_crosscheck: {name(v)} is a closure node whose op torch "
                    f"does not know; name its twin: ops={{{v._op!r}: lambda *t: ...}}"
                )
            out = Recorded.apply(v.data, v.local_grads, *args)
            unchecked.append(name(v))
        out.retain_grad()
        t[v] = out
    t[root].backward()

    # 2. micrograd: the same backward from zeroed leaves; then leaves get theirs back
    leaves = [v for v in order if not v._prev]
    saved = [v.grad for v in leaves]
    for v in leaves if ours else order:
        v.grad = 0.0
    root.backward()
    grads = [v.grad for v in order]
    for v, g in zip(leaves, saved, strict=True):
        v.grad = g

    # 3. compare every node
    bad = {}
    for v, g in zip(order, grads, strict=True):
        tg = 0.0 if t[v].grad is None else t[v].grad.item()
        if not _close(g, tg, rtol, atol):
            bad[v] = (g, tg)

    # 4. an error enters at a bad node whose consumers all agree with torch
    mismatches = []
    for v, (g, tg) in bad.items():
        via, ps = (), consumers.get(v, {})
        if not any(p in bad for p in ps):
            wrong = [p for p in ps if _wrong_local(torch, replay, p, v, rtol, atol)]
            via = tuple(name(p) for p in wrong or ps)
        mismatches.append(Mismatch(index[v], _name(v), g, tg, _rel_err(g, tg), via))
    mismatches.sort(key=lambda m: (-m.rel_err, m.index))
    return CrosscheckReport(not bad, len(order), tuple(mismatches), tuple(unchecked))


# ------------------------------------------------------------------ helpers


def _order(root):
    """Every node under root, root first, each before its children (as backward)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(list(v._prev)) if c not in seen)
    order.reverse()
    return order


def _torch_op(replay, v, args):
    """v's op applied to torch tensors, or None when torch has no twin for it."""
    fn = replay.get(v._op)
    if fn is None and v._op.startswith("**"):  # a constant power: '**2', '**-1'
        try:
            k = float(v._op[2:])
            fn = lambda a: a**k  # noqa: E731
        except ValueError:  # '**1/2' or '**True': named after an odd exponent type
            pass
    if v._op in ("+", "*") and len(args) == 1:  # a `_prev` set holding a + a once
        args = args * 2
    try:
        return fn(*args) if fn else None
    except TypeError:  # a custom node reusing a built-in name with another arity
        return None


def _wrong_local(torch, replay, p, c, rtol, atol):
    """Whether p's derivative with respect to child c disagrees with torch: its
    recorded local derivative, or for a closure what running it adds to c's grad."""
    children = list(p._prev)
    xs = [
        torch.tensor(x.data, dtype=torch.float64, requires_grad=True) for x in children
    ]
    out = _torch_op(replay, p, xs)
    if out is None:
        return False  # a custom op: nothing to compare with
    gs = torch.autograd.grad(out, xs, allow_unused=True)
    gs = [0.0 if g is None else g.item() for g in gs]
    if _locals(p) is None:  # d p / d c over every edge to c, against one run of it
        want = sum(g for x, g in zip(children, gs) if x is c)
        return not _close(_closure_effect(p, c), want, rtol, atol)
    return any(
        x is c and not _close(d, g, rtol, atol)
        for x, d, g in zip(children, p.local_grads, gs, strict=True)
    )


def _closure_effect(p, c):
    """What p's closure adds to c's grad for a grad of 1 at p: run once from known
    grads (1.0 on p and each child, so a closure that sets instead of adding shows),
    then every grad put back."""
    nodes = [p, *p._prev]
    saved = [v.grad for v in nodes]
    try:
        for v in nodes:
            v.grad = 1.0
        p._backward()
        return c.grad - 1.0
    finally:
        for v, g in zip(nodes, saved):
            v.grad = g


def _name(v):
    return getattr(v, "label", "") or v._op or ("leaf" if not v._prev else "unnamed op")


def _locals(v):
    """v's local derivatives, or None for a closure (or a node of another class)."""
    return getattr(v, "local_grads", None)


def _close(a, b, rtol, atol):
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    return abs(a - b) <= atol + rtol * abs(b)


def _rel_err(a, b):
    """|a - b| relative to the larger of the two; inf when a nan or an inf differs."""
    if a == b:
        return 0.0
    err = abs(a - b) / max(abs(a), abs(b))
    return math.inf if math.isnan(err) else err
