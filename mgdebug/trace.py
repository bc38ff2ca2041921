"""The trace: a complete, replayable record of a traced region, and the state at any event.

A trace is a list of steps. Each step has a summary that is always kept (loss,
every persistent leaf's value and grad when backward ended) and, within the caps,
its full graph as numpy columns (`StepGraph`, documented in `_graph.py` and
docs/trace-format.md). Events are numbered across the whole trace: step k owns
events `event_offsets[k]` up to `event_offsets[k+1]`; inside a step, node i is
built at event i, backward begins at event `n_created`, and visit j follows.

`trace.state_at(t)` tells which nodes exist at event t, their values, and every
grad as it stood at that moment (mid-backward included), replayed from the
columns (`_replay.py`); the widget, the exports and the tests all read this.
"""

from __future__ import annotations

import fnmatch
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._graph import StepGraph
from ._replay import BackwardReplay, StepState


class StringTable:
    """Interned strings; index 0 is always the empty string."""

    def __init__(self, items: Iterable[str] = ("",)):
        self.items: list[str] = list(items)
        if not self.items or self.items[0] != "":
            raise ValueError("a string table starts with ''")
        self._index = {s: i for i, s in enumerate(self.items)}

    def intern(self, s: str) -> int:
        i = self._index.get(s)
        if i is None:
            i = self._index[s] = len(self.items)
            self.items.append(s)
        return i

    def __getitem__(self, i: int) -> str:
        return self.items[i]

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class Strings:
    """The trace's interned tables: op names, scope paths, labels, source files."""

    ops: StringTable = field(default_factory=StringTable)
    scopes: StringTable = field(default_factory=StringTable)
    labels: StringTable = field(default_factory=StringTable)
    files: StringTable = field(default_factory=StringTable)


@dataclass
class StepSummary:
    """What is always kept of a step, even when its graph is not."""

    index: int
    loss: float  # the backward root's value (nan if the step had no backward)
    has_backward: bool
    backward_completed: bool
    num_created: int
    num_visits: int
    started_ns: int
    backward_ns: int
    ended_ns: int
    param_entity: list[int]
    param_value: list[float]
    param_grad: list[float]
    kept: bool = False  # its graph is held for good (else maybe as the latest only)

    @property
    def num_events(self) -> int:
        return self.num_created + (1 + self.num_visits if self.has_backward else 0)


class Trace:
    """Everything a traced region did, step by step, ready to replay."""

    def __init__(self) -> None:
        self.strings = Strings()
        self.steps: list[StepSummary] = []
        self.notices: list[str] = []
        self.error: dict[str, str] | None = (
            None  # {'type', 'message'} if the region raised
        )
        self.recording = False
        self.hits: list[dict] = []  # live breakpoint hits: {'event', 'reason', 'step'}
        self.pending: StepSummary | None = None  # a step shown while paused mid-way
        self._graphs: dict[int, StepGraph] = {}
        self._latest: tuple[int, StepGraph] | None = None
        self._replays: dict[int, BackwardReplay] = {}
        self._entity_names: dict[int, str] = {}
        self._offsets = [0]
        self._nonfinite: tuple[tuple, dict | None] | None = None  # (shape, answer)

    # ------------------------------------------------------------------ steps and events

    def _append_step(
        self, summary: StepSummary, graph: StepGraph | None, *, permanent: bool
    ):
        summary.kept = graph is not None and permanent
        self.steps.append(summary)
        self._offsets.append(self._offsets[-1] + summary.num_events)
        if summary.kept:
            self._graphs[summary.index] = graph
        elif graph is not None:
            self._latest = (summary.index, graph)

    def _set_pending(self, summary: StepSummary, graph: StepGraph) -> None:
        """Show the unfinished current step as the last step (while paused at a breakpoint)."""
        self._clear_pending()
        self._append_step(summary, None, permanent=False)
        self._replays.pop(summary.index, None)
        self.pending = summary
        self._pending_graph = graph

    def _clear_pending(self) -> None:
        if self.pending is not None:
            self.steps.pop()
            self._offsets.pop()
            self._replays.pop(self.pending.index, None)
            self.pending = None
            self._pending_graph = None

    def _name_entity(self, entity: int, label: str) -> None:
        if label:
            self._entity_names[entity] = label

    @property
    def num_events(self) -> int:
        return self._offsets[-1]

    @property
    def event_offsets(self) -> np.ndarray:
        return np.asarray(self._offsets, dtype=np.int64)

    def step_of_event(self, t: int) -> int:
        if not 0 <= t < self.num_events:
            raise IndexError(
                f"event {t} is outside this trace (0..{self.num_events - 1})"
            )
        return (
            bisect_right(self._offsets, t) - 1
        )  # a list: bisect, not numpy (State.move)

    def graph(self, step: int) -> StepGraph:
        """The full graph of `step`; a clear error if only its summary was kept."""
        if not 0 <= step < len(self.steps):
            raise IndexError(
                f"step {step} is outside this trace (0..{len(self.steps) - 1})"
            )
        if step in self._graphs:
            return self._graphs[step]
        if self.pending is not None and self.pending.index == step:
            return self._pending_graph
        if self._latest and self._latest[0] == step:
            return self._latest[1]
        raise LookupError(
            f"step {step} kept only its summary (loss {self.steps[step].loss:.6g}); "
            f"steps kept in full: {self.kept_steps()}. Record with a larger max_nodes "
            "or keep_every=1 to keep it."
        )

    def kept_steps(self) -> list[int]:
        kept = sorted(self._graphs)
        if self._latest and self._latest[0] not in self._graphs:
            kept.append(self._latest[0])
        if self.pending is not None:
            kept.append(self.pending.index)
        return kept

    def replay(self, step: int) -> BackwardReplay:
        """The per-edge replay of `step`'s backward, computed once."""
        graph = self.graph(step)
        cached = self._replays.get(step)
        if cached is None or cached.graph_id != id(graph):
            cached = BackwardReplay(graph)
            cached.graph_id = id(graph)
            self._replays = {step: cached, **dict(list(self._replays.items())[:3])}
        return cached

    def state_at(self, t: int) -> State:
        """Which nodes exist right after event `t`, their values, and every grad so far."""
        step = self.step_of_event(t)
        graph = self.graph(step)
        replay = self.replay(step) if self.steps[step].has_backward else None
        return State(self, step, StepState(graph, replay, t - self._offsets[step]))

    # ------------------------------------------------------------------ across steps

    def loss_curve(self) -> np.ndarray:
        """The loss of every step that ran backward, in order."""
        return np.array([s.loss for s in self.steps if s.has_backward])

    def parameter_names(self) -> list[str]:
        return sorted(set(self._entity_names.values()))

    def parameter_history(self, name: str) -> dict[str, np.ndarray]:
        """`step`, `value`, `grad` arrays of the parameter labelled `name`, over all steps."""
        entities = {e for e, label in self._entity_names.items() if label == name}
        if not entities:
            close = fnmatch.filter(self.parameter_names(), f"*{name.split('.')[-1]}*")[
                :5
            ]
            raise KeyError(f"no parameter labelled {name!r}; some that exist: {close}")
        steps, values, grads = [], [], []
        for s in self.steps:
            for e, v, g in zip(s.param_entity, s.param_value, s.param_grad):
                if e in entities:
                    steps.append(s.index)
                    values.append(v)
                    grads.append(g)
        return {
            "step": np.array(steps),
            "value": np.array(values),
            "grad": np.array(grads),
        }

    # ------------------------------------------------------------------ lookups

    def find(self, spec: Any, step: int) -> np.ndarray:
        """Node ids in `step` matching a Value, a node id, a label or a label glob."""
        graph = self.graph(step)
        if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            if not 0 <= spec < graph.num_nodes:
                raise IndexError(
                    f"node {spec} is outside step {step} (0..{graph.num_nodes - 1})"
                )
            return np.array([int(spec)])
        if isinstance(spec, str):
            labels = self.strings.labels.items
            if any(ch in spec for ch in "*?["):
                ids = [
                    i
                    for i, s in enumerate(labels)
                    if s and fnmatch.fnmatchcase(s, spec)
                ]
            else:
                ids = [i for i, s in enumerate(labels) if s == spec]
            return (
                np.flatnonzero(np.isin(graph.label, ids))
                if ids
                else np.array([], dtype=int)
            )
        entity = getattr(spec, "_tag", None)
        if entity is not None or hasattr(spec, "_prev"):
            node = graph.node_of_entity(entity) if entity is not None else None
            return np.array([node]) if node is not None else np.array([], dtype=int)
        raise TypeError(
            f"find a node by Value, node id (int), label or label pattern (str); "
            f"got {type(spec).__name__}"
        )

    def breakpoint_hits(self, specs: Any) -> list[dict]:
        """Where breakpoints would pause, as timeline positions: [{'event', 'step', 'node', 'spec'}]."""
        from ._hits import breakpoint_hits
        from .breakpoints import parse_specs

        return breakpoint_hits(self, parse_specs(specs))

    def first_nonfinite(self) -> dict | None:
        """Where the first NaN/inf was born (forward value or backward grad), or None.

        It replays every kept step, so the answer is kept for as long as the trace
        does not change (each viewer opened on the trace asks for it).
        """
        from ._hits import first_nonfinite

        shape = (
            len(self.steps), self.num_events, self.kept_steps(), id(self.pending)
        )  # fmt: skip
        if self._nonfinite is None or self._nonfinite[0] != shape:
            self._nonfinite = (shape, first_nonfinite(self))
        found = self._nonfinite[1]
        return None if found is None else dict(found)

    def describe(self, step: int, node: int) -> str:
        graph = self.graph(step)
        label = self.strings.labels[int(graph.label[node])]
        op = self.strings.ops[int(graph.op[node])] or "leaf"
        return f"{label or '#' + str(node)} ({op})"

    # ------------------------------------------------------------------ text form

    def __repr__(self) -> str:
        kept = len(self.kept_steps())
        losses = self.loss_curve()
        tail = f", loss {losses[0]:.6g} -> {losses[-1]:.6g}" if len(losses) else ""
        err = f", stopped by {self.error['type']}" if self.error else ""
        return (
            f"<Trace: {len(self.steps)} steps ({kept} kept in full), "
            f"{self.num_events:,} events{tail}{err}>"
        )

    def _ipython_display_(self) -> None:
        """In a notebook, a Trace shows itself as the viewer; elsewhere as its text form."""
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is None:
            print(repr(self))
            return
        from . import show

        show(self)

    # ------------------------------------------------------------------ files

    def save(self, path) -> None:
        """Write the trace to `path` (a binary bundle, no pickle; docs/trace-format.md)."""
        from ._tracefile import save

        save(self, path)

    def to_html(self, path, *, title: str = "mgdebug trace", breakpoints=()):
        """Write one self-contained HTML file (viewer + data) that works offline from file://."""
        from .export_html import trace_to_html

        return trace_to_html(self, path, title=title, breakpoints=breakpoints)

    def to_perfetto(self, path) -> None:
        """Write Chrome/Perfetto trace JSON: steps as slices, forward/backward tracks, loss counter."""
        from ._perfetto import write_perfetto

        write_perfetto(self, path)


class State:
    """The trace at one event: `exists`, `value`, `grad` arrays over the step's nodes."""

    def __init__(self, trace: Trace, step: int, inner: StepState):
        self.trace = trace
        self.step = step
        self._inner = inner

    t = property(lambda self: self.trace._offsets[self.step] + self._inner.event)
    phase = property(lambda self: self._inner.phase)
    exists = property(lambda self: self._inner.exists)
    value = property(lambda self: self._inner.value)
    grad = property(lambda self: self._inner.grad)
    current_node = property(lambda self: self._inner.current_node)

    def move(self, t: int) -> State:
        """Go to event `t`; within the same step only what changed is touched (microseconds)."""
        step = self.trace.step_of_event(t)
        if step != self.step:
            return self.trace.state_at(t)
        self._inner.step_to(t - self.trace._offsets[step])
        return self

    def node(self, spec: Any) -> int:
        """The one node matching `spec` (Value, id, label); an error if none or several."""
        hits = self.trace.find(spec, self.step)
        if len(hits) == 1:
            return int(hits[0])
        what = spec if isinstance(spec, (str, int)) else type(spec).__name__
        if not len(hits):
            raise KeyError(f"no node matches {what!r} in step {self.step}")
        raise KeyError(
            f"{len(hits)} nodes match {what!r} in step {self.step}; use grads_of()"
        )

    def grad_of(self, spec: Any) -> float:
        return float(self.grad[self.node(spec)])

    def value_of(self, spec: Any) -> float:
        return float(self.value[self.node(spec)])

    def grads_of(self, spec: Any) -> dict[int, float]:
        return {int(i): float(self.grad[i]) for i in self.trace.find(spec, self.step)}

    def __repr__(self) -> str:
        current = self._inner.current_node
        where = (
            self.trace.describe(self.step, current)
            if current is not None
            else "backward begins"
        )
        return f"<State t={self.t} step {self.step} {self.phase}: {where}>"
