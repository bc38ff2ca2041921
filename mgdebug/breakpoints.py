"""Breakpoints: the spec grammar and one matcher per kind, for live pauses, record-only and replay.

    SPEC      := TERM ('&' TERM)*            every term must hold
    TERM      := 'nonfinite'
               | 'op:' NAME                  e.g. op:tanh, op:relu, op:**2 (any case)
               | 'scope:' PATH               e.g. scope:layers.1 (whole path segments)
               | 'step:' N                   e.g. step:57 (only in training step 57)
               | CONDITION                   e.g. grad>10, abs(grad)>=1e3, value<0
               | LABEL_OR_GLOB               e.g. layers.1.neurons.0.*, w.1
               | 'label:' LABEL_OR_GLOB      any label, even one like a keyword
    CONDITION := ['abs('] ('value'|'grad') [')'] OP NUMBER,   OP in > >= < <= == !=

From Python a breakpoint may also be a Value (that very node) or a callable
`f(node) -> bool`. A breakpoint matches a node of the backward pass when its chain
rule is about to run (docs/breakpoints.md).

Each kind of term is one matcher class with the same rule in two forms:
`mask(nodes)`, vectorised over a step's nodes given as columns (`Nodes`), and
`match(node)`, exact for one node (`Node`). Live pauses, record-only hits and
replay all go through them, so a new kind is one class here (and its tests).
A live backward runs the mask before any grad is known; for what it cannot
decide then (a grad, a callable), `live_test()` gives the same rule as a test of
the live Value, cheap enough to run at every node.
"""

from __future__ import annotations

import fnmatch
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._spechints import bare_word, failed_term

if TYPE_CHECKING:
    from ._graph import StepGraph
    from ._strings import Strings

_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
            "==": operator.eq, "!=": operator.ne}  # fmt: skip
_CONDITION = re.compile(
    r"^\s*(?P<abs>abs\(\s*)?(?P<field>value|grad)\s*(?(abs)\))\s*"
    r"(?P<op>>=|<=|==|!=|>|<)\s*(?P<number>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?inf)\s*$"
)
_NAME = re.compile(r"^[\w.*?\[\]!-]+$")
_STEP = re.compile(r"^step:\s*(?P<n>\d+)$")


class BreakpointSpecError(ValueError):
    """A breakpoint spec that does not parse; the message shows the grammar."""


class BreakpointWarning(UserWarning):
    """A breakpoint that never hit because it names nothing the trace has (an op)."""


# ---------------------------------------------------------------------- what a matcher sees


@dataclass
class Nodes:
    """A step's nodes as columns, for `mask`: ids into the string tables, numbers.

    `grad` is each node's grad when its chain rule runs (its final grad in that
    backward), or None where no term needs it. With `live`, the backward is about
    to run: grads are not known yet, and the mask says where a breakpoint *may*
    match; the exact `match` decides at each of those nodes as it is visited.

    Many steps of one structure at once (`_hits.py`): `step` is their (k,) step
    numbers, `value` and `grad` (k, n), the names per node (n,) as for one step;
    a mask may then be (n,) or (k, n), which broadcast together.
    """

    strings: Strings
    step: int | np.ndarray
    op: np.ndarray
    scope: np.ndarray
    label: np.ndarray
    value: np.ndarray
    grad: np.ndarray | None
    node_of: Callable[[Any], int | None]  # a Value -> its node id here, or None
    live: bool = False  # the exact check follows node by node, with the live Values

    @classmethod
    def of_graph(
        cls, graph: StepGraph, strings: Strings, step: int, grad, *, live=False
    ) -> Nodes:
        return cls(strings, step, graph.op, graph.scope, graph.label, graph.data, grad,
                   graph.node_of_value, live)  # fmt: skip

    @property
    def count(self) -> int:
        return len(self.op)


@dataclass
class Node:
    """One node, for `match`: names as text, its numbers, and the live Value if there is one.

    (A live check passes an object with the same attributes that looks each up
    only when a term asks for it.)
    """

    op: str
    label: str
    scope: str
    value: float
    grad: float
    step: int
    live: Any = None  # the Value itself (live checks only)


# ---------------------------------------------------------------------- one class per kind


class Term:
    """One condition of a breakpoint. Subclasses set `kind` and implement both forms."""

    kind = ""
    needs_live_node = False  # only a live check can decide (callables)

    def __init__(self, text: str, argument: Any = None):
        self.text = text
        self.argument = argument

    def mask(self, nodes: Nodes) -> np.ndarray:
        raise NotImplementedError

    def match(self, node: Node) -> bool:
        raise NotImplementedError

    def live_test(self) -> Callable[[Any], bool] | None:
        """A test of the live Value at its visit, or None: the live mask decided it."""
        return None

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.text == self.text
            and _same(other.argument, self.argument)
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.text))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class OpTerm(Term):
    """An op name, ignoring case (`op:relu` is micrograd's `ReLU`)."""

    kind = "op"

    def __init__(self, text: str, argument: str):
        super().__init__(text, argument)
        self.folded = argument.casefold()

    def ids(self, strings: Strings) -> list[int]:
        """The op ids this term names in a trace's op table."""
        return [
            i for i, s in enumerate(strings.ops.items) if s.casefold() == self.folded
        ]

    def mask(self, nodes):
        return np.isin(nodes.op, self.ids(nodes.strings))

    def match(self, node):
        return node.op == self.argument or node.op.casefold() == self.folded


class ScopeTerm(Term):
    kind = "scope"

    def mask(self, nodes):
        scopes = nodes.strings.scopes.items
        ids = [i for i, s in enumerate(scopes) if s and scope_matches(self.argument, s)]
        return np.isin(nodes.scope, ids)

    def match(self, node):
        return scope_matches(self.argument, node.scope)


class LabelTerm(Term):
    """A label glob; it also matches a node's scope as a dotted name plus its op."""

    kind = "label"

    def mask(self, nodes):
        glob, strings = self.argument, nodes.strings
        labels = [i for i, s in enumerate(strings.labels.items) if s and _fits(s, glob)]
        mask = np.isin(nodes.label, labels)
        # a node's scope and op as a dotted name: only the pairs the step has (a
        # table of every scope times every op can be large)
        n_ops, scopes, ops = len(strings.ops), strings.scopes.items, strings.ops.items
        pair = nodes.scope.astype(np.int64) * n_ops + nodes.op
        named = [
            p for p in np.unique(pair).tolist()
            if (dotted := _dotted(scopes[p // n_ops]))
            and _fits(f"{dotted}.{ops[p % n_ops]}", glob)
        ]  # fmt: skip
        return mask | np.isin(pair, named) if named else mask

    def match(self, node):
        dotted = _dotted(node.scope)
        return _fits(node.label, self.argument) or (
            bool(dotted) and _fits(f"{dotted}.{node.op}", self.argument)
        )


class ConditionTerm(Term):
    kind = "condition"

    def mask(self, nodes):
        use_abs, field, op, number = self.argument
        x = nodes.value if field == "value" else nodes.grad
        if nodes.live and field == "grad":  # not known yet: may match anywhere
            return np.ones(nodes.count, dtype=bool)
        with np.errstate(invalid="ignore"):  # nan compares False, as in Python
            return _COMPARE[op](np.abs(x) if use_abs else x, number)

    def match(self, node):
        use_abs, field, op, number = self.argument
        x = node.grad if field == "grad" else node.value  # (only the one it needs)
        return _COMPARE[op](abs(x) if use_abs else x, number)

    def live_test(self):
        use_abs, field, op, number = self.argument
        if field != "grad":
            return None  # values are known before backward: the mask decided
        compare = _COMPARE[op]
        if use_abs:
            return lambda v: compare(abs(v.grad), number)
        return lambda v: compare(v.grad, number)


class NonfiniteTerm(Term):
    """A grad that is NaN or ±inf (a breakpoint with this term hits once per backward)."""

    kind = "nonfinite"

    def mask(self, nodes):
        if nodes.live:
            return np.ones(nodes.count, dtype=bool)
        return ~np.isfinite(nodes.grad)

    def match(self, node):
        return not math.isfinite(node.grad)

    def live_test(self):
        isfinite = math.isfinite
        return lambda v: not isfinite(v.grad)


class StepTerm(Term):
    kind = "step"

    def mask(self, nodes):  # nodes.step: one step, or (k,) steps of a batch
        here = np.asarray(nodes.step) == self.argument
        return np.broadcast_to(here[..., None], here.shape + (nodes.count,))

    def match(self, node):
        return node.step == self.argument


class ValueTerm(Term):
    """That very Value, in every step where it takes part."""

    kind = "value"

    def mask(self, nodes):
        mask = np.zeros(nodes.count, dtype=bool)
        node = nodes.node_of(self.argument)
        if node is not None:
            mask[node] = True
        return mask

    def match(self, node):
        return node.live is self.argument


class CallableTerm(Term):
    """`f(node) -> bool`: only a live check can call it, so replay finds nothing."""

    kind = "callable"
    needs_live_node = True

    def mask(self, nodes):
        return np.full(nodes.count, nodes.live)  # replay cannot call it: no hits

    def match(self, node):
        return node.live is not None and bool(self.argument(node.live))

    def live_test(self):
        predicate = self.argument
        return lambda v: bool(predicate(v))


# ---------------------------------------------------------------------- a breakpoint


@dataclass(frozen=True, eq=True)
class Breakpoint:
    """A parsed breakpoint: one or more terms that must all hold, and the text it came from."""

    text: str
    terms: tuple[Term, ...]

    @property
    def kind(self) -> str:
        """The kind of its one term, or 'all' for a conjunction."""
        return self.terms[0].kind if len(self.terms) == 1 else "all"

    @property
    def argument(self) -> Any:
        return self.terms[0].argument if len(self.terms) == 1 else self.terms

    @property
    def once_per_backward(self) -> bool:
        # every node after a NaN's birth inherits it: pausing at each tells nothing
        return any(t.kind == "nonfinite" for t in self.terms)

    @property
    def needs_live_node(self) -> bool:
        return any(t.needs_live_node for t in self.terms)

    @property
    def replayable(self) -> bool:
        """Whether it can be found on a recorded trace (not a callable, not a Value)."""
        return not any(t.kind in ("callable", "value") for t in self.terms)

    def mask(self, nodes: Nodes) -> np.ndarray:
        mask = self.terms[0].mask(nodes)
        for t in self.terms[1:]:
            mask = mask & t.mask(nodes)
        return mask

    def match(self, node: Node) -> bool:
        return all(t.match(node) for t in self.terms)

    def live_tests(self) -> tuple[Callable[[Any], bool], ...]:
        """The tests of the live Value that remain once the live mask said "may"."""
        return tuple(f for f in (t.live_test() for t in self.terms) if f is not None)

    def __str__(self) -> str:
        return self.text


def first_hits(
    breakpoints: list[Breakpoint], nodes: Nodes, visits: np.ndarray
) -> dict[int, list[int]]:
    """For each breakpoint (by index), the visit positions where it matches, in order.

    `visits[j]` is the node whose chain rule runs j-th. A breakpoint that hits once
    per backward keeps only its first position.
    """
    found = {}
    for i, b in enumerate(breakpoints):
        positions = np.flatnonzero(b.mask(nodes)[visits])
        found[i] = positions[:1].tolist() if b.once_per_backward else positions.tolist()
    return found


def unknown_ops(breakpoints: list[Breakpoint], strings: Strings) -> list[str]:
    """What is wrong with each op term naming no op of the trace (a typo, most likely)."""
    problems = []
    for b in breakpoints:
        for t in b.terms:
            if isinstance(t, OpTerm) and not t.ids(strings):
                ops = ", ".join(sorted(op for op in strings.ops.items if op)) or "none"
                problems.append(
                    f"{t.text!r} names no op of this trace (op names match ignoring "
                    f"case); its ops are: {ops}"
                )
    return problems


# ---------------------------------------------------------------------- parsing


def parse_spec(spec: Any) -> Breakpoint:
    """Turn a spec (string, Value or callable) into a Breakpoint, or explain what is wrong."""
    if isinstance(spec, Breakpoint):
        return spec
    if hasattr(spec, "_prev") and hasattr(spec, "grad"):
        text = f"node {getattr(spec, 'label', '') or hex(id(spec))}"
        return Breakpoint(text, (ValueTerm(text, spec),))
    if callable(spec):
        text = getattr(spec, "__name__", "predicate")
        return Breakpoint(text, (CallableTerm(text, spec),))
    if not isinstance(spec, str):
        raise BreakpointSpecError(
            f"a breakpoint is a spec string, a Value or a callable, got "
            f"{type(spec).__name__}" + _GRAMMAR
        )
    text = spec.strip()
    if not text:
        raise BreakpointSpecError("empty breakpoint spec" + _GRAMMAR)
    parts = [p.strip() for p in text.split("&")]
    if len(parts) > 1 and not all(parts):
        raise BreakpointSpecError(
            f"{text!r}: '&' joins two specs, e.g. step:57 & abs(grad)>10" + _GRAMMAR
        )
    return Breakpoint(text, tuple(_parse_term(p) for p in parts))


def _parse_term(text: str) -> Term:
    if text == "nonfinite":
        return NonfiniteTerm(text)
    if text.startswith("op:"):
        name = text[3:].strip()
        if not name:
            raise BreakpointSpecError(
                f"{text!r}: op: needs an op name, e.g. op:tanh" + _GRAMMAR
            )
        return OpTerm(text, name)
    if text.startswith("scope:"):
        path = text[6:].strip().strip("/")
        if not path:
            raise BreakpointSpecError(
                f"{text!r}: scope: needs a path, e.g. scope:layers.1" + _GRAMMAR
            )
        return ScopeTerm(text, path)
    if text.startswith("label:"):
        name = text[6:].strip()
        if not name or not _NAME.match(name):
            raise BreakpointSpecError(
                f"{text!r}: label: needs a label or glob, e.g. label:w.1" + _GRAMMAR
            )
        return LabelTerm(text, name)
    if text.startswith("step:"):
        match = _STEP.match(text)
        if not match:
            raise BreakpointSpecError(
                f"{text!r}: step: needs a step number, e.g. step:57" + _GRAMMAR
            )
        return StepTerm(text, int(match["n"]))
    match = _CONDITION.match(text)
    if match:
        number = float(match["number"])
        argument = (bool(match["abs"]), match["field"], match["op"], number)
        return ConditionTerm(text, argument)
    if any(ch in text for ch in "<>=()") or not _NAME.match(text):
        hint = failed_term(text)
        raise BreakpointSpecError(f"{text!r} is not a breakpoint spec{hint}" + _GRAMMAR)
    problem = bare_word(text) if not any(ch in text for ch in "*?[") else None
    if problem:
        raise BreakpointSpecError(problem + _GRAMMAR)
    return LabelTerm(text, text)


def parse_specs(specs: Any) -> list[Breakpoint]:
    """Parse one spec or a list of them."""
    if specs is None:
        return []
    if isinstance(specs, (str, bytes)) or not isinstance(specs, (list, tuple, set)):
        specs = [specs]
    return [parse_spec(s) for s in specs]


def condition_holds(argument: tuple, value: float, grad: float) -> bool:
    """Whether a parsed condition holds for a node's value and grad."""
    use_abs, field, op, number = argument
    x = value if field == "value" else grad
    return _COMPARE[op](abs(x) if use_abs else x, number)


def scope_matches(path: str, scope: str) -> bool:
    """`layers.1` matches `MLP/layers.1/neurons.0`: whole segments, anywhere, globs allowed."""
    want = path.split("/")
    have = scope.split("/")
    return any(
        all(fnmatch.fnmatchcase(h, w) for h, w in zip(have[i : i + len(want)], want))
        for i in range(len(have) - len(want) + 1)
    )


def _dotted(scope: str) -> str:
    """`MLP/layers.0/neurons.3` -> `layers.0.neurons.3` (the root module's name dropped)."""
    return ".".join(scope.split("/")[1:])


def _fits(name: str, glob: str) -> bool:
    return fnmatch.fnmatchcase(name, glob)


def _same(a: Any, b: Any) -> bool:
    # a Value or callable argument is the same breakpoint only as the same object
    return a is b or (type(a) in (str, int, tuple) and a == b)


_GRAMMAR = (
    "\nbreakpoint specs: nonfinite | op:NAME | scope:PATH | step:N | LABEL or glob "
    "(layers.1.*; label:NAME for any label) | value/grad condition: grad>10, "
    "abs(grad)>=1e3, value<0; join with & to require all (step:57 & abs(grad)>10)"
)
