"""Breakpoint specs: the one grammar shared by `%%mgtrace --break` and `record(break_on=...)`.

    SPEC      := 'nonfinite'
               | 'op:' NAME                  e.g. op:tanh, op:ReLU, op:**2
               | 'scope:' PATH               e.g. scope:layers.1 (whole path segments)
               | CONDITION                   e.g. grad>10, abs(grad)>=1e3, value<0
               | LABEL_OR_GLOB               e.g. layers.1.neurons.0.*, w.1
    CONDITION := ['abs('] ('value'|'grad') [')'] OP NUMBER,   OP in > >= < <= == !=

From Python a breakpoint may also be a Value (that very node) or a callable
`f(node) -> bool`. A spec matches a node of the backward pass when its chain rule
is about to run (docs/breakpoints.md).
"""

from __future__ import annotations

import fnmatch
import math
import operator
import re
from dataclasses import dataclass
from typing import Any

_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
            "==": operator.eq, "!=": operator.ne}  # fmt: skip
_CONDITION = re.compile(
    r"^\s*(?P<abs>abs\(\s*)?(?P<field>value|grad)\s*(?(abs)\))\s*"
    r"(?P<op>>=|<=|==|!=|>|<)\s*(?P<number>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?inf)\s*$"
)
_NAME = re.compile(r"^[\w.*?\[\]!-]+$")


class BreakpointSpecError(ValueError):
    """A breakpoint spec that does not parse; the message shows the grammar."""


@dataclass(frozen=True)
class Breakpoint:
    """One parsed breakpoint: what kind, its argument, and the text it came from."""

    kind: str  # 'nonfinite' | 'op' | 'scope' | 'condition' | 'label' | 'value' | 'callable'
    text: str
    argument: Any = None  # op name, scope path, label glob, (abs, field, op, number), Value, callable

    def __str__(self) -> str:
        return self.text


def parse_spec(spec: Any) -> Breakpoint:
    """Turn a spec (string, Value or callable) into a Breakpoint, or explain what is wrong."""
    if isinstance(spec, Breakpoint):
        return spec
    if hasattr(spec, "_prev") and hasattr(spec, "grad"):
        return Breakpoint(
            "value", f"node {getattr(spec, 'label', '') or hex(id(spec))}", spec
        )
    if callable(spec):
        return Breakpoint("callable", getattr(spec, "__name__", "predicate"), spec)
    if not isinstance(spec, str):
        raise BreakpointSpecError(
            f"a breakpoint is a spec string, a Value or a callable, got {type(spec).__name__}"
            + _GRAMMAR
        )
    text = spec.strip()
    if not text:
        raise BreakpointSpecError("empty breakpoint spec" + _GRAMMAR)
    if text == "nonfinite":
        return Breakpoint("nonfinite", text)
    if text.startswith("op:"):
        name = text[3:].strip()
        if not name:
            raise BreakpointSpecError(
                f"{text!r}: op: needs an op name, e.g. op:tanh" + _GRAMMAR
            )
        return Breakpoint("op", text, name)
    if text.startswith("scope:"):
        path = text[6:].strip().strip("/")
        if not path:
            raise BreakpointSpecError(
                f"{text!r}: scope: needs a path, e.g. scope:layers.1" + _GRAMMAR
            )
        return Breakpoint("scope", text, path)
    match = _CONDITION.match(text)
    if match:
        number = float(match["number"])
        return Breakpoint(
            "condition", text, (bool(match["abs"]), match["field"], match["op"], number)
        )
    if any(ch in text for ch in "<>=()") or not _NAME.match(text):
        raise BreakpointSpecError(f"{text!r} is not a breakpoint spec" + _GRAMMAR)
    return Breakpoint("label", text, text)


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


def is_nonfinite(x: float) -> bool:
    return not math.isfinite(x)


_GRAMMAR = (
    "\nbreakpoint specs: nonfinite | op:NAME | scope:PATH | LABEL or glob (layers.1.*) | "
    "value/grad condition: grad>10, abs(grad)>=1e3, value<0"
)
