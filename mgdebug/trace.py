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

import copy
import difflib
import fnmatch
from bisect import bisect_right
from typing import Any

import numpy as np

from . import _anomaly, _entity, _hits, _perfetto, _tracefile, export_html
from ._graph import StepGraph, Structure
from ._replay import BackwardReplay, StepState
from ._strings import Strings, StringTable, as_label
from ._summary import StepSummary
from .breakpoints import parse_specs

__all__ = [
    "State", "StepGraph", "StepSummary", "StringTable", "Strings", "Structure", "Trace",
]  # fmt: skip


class Trace:
    """Everything a traced region did, step by step, ready to replay."""

    def __init__(self) -> None:
        self.strings = Strings()
        self.steps: list[StepSummary] = []
        self.notices: list[str] = []
        # {'type', 'message'} if the region raised
        self.error: dict[str, str] | None = None
        # breakpoint hits while recording: {'event', 'reason', 'step'}
        self.hits: list[dict] = []
        self.version = 0  # counts changes: answers computed from the trace key on it
        # a kept step's graph is its structure (stored once, shared by every step that
        # built an equal graph) and its numbers; the latest step is held even if not kept
        self._graphs: dict[int, StepGraph] = {}
        self._latest: tuple[int, StepGraph] | None = None
        self._structures: dict[str, Structure] = {}
        self._last_structure: Structure | None = None
        self._views: dict[int, StepGraph] = {}  # the few graphs asked for lately
        self._replays: dict[int, BackwardReplay] = {}
        self._entity_names: dict[int, str] = {}
        self._offsets = [0]
        self._nonfinite: tuple[int, dict | None] | None = None  # (version, answer)

    # ------------------------------------------------------------------ steps and events

    def add_step(
        self, summary: StepSummary, graph: StepGraph | None, *, permanent: bool
    ) -> None:
        """Append a step; its graph is kept for good if `permanent`, else as the latest only."""
        summary.kept = graph is not None and permanent
        self.steps.append(summary)
        self._offsets.append(self._offsets[-1] + summary.num_events)
        if summary.kept:
            self._latest = None  # the newest step is held for good anyway
            graph = self.shared(graph)
            self._structures.setdefault(graph.structure.key, graph.structure)
            self._last_structure = graph.structure
            self._graphs[summary.index] = graph
        elif graph is not None:
            self._latest = (summary.index, graph)
        self.version += 1

    def shared(self, graph: StepGraph) -> StepGraph:
        """`graph` on the equal structure this trace stores already, if there is one."""
        mine = graph.structure
        last = self._last_structure
        if last is not None and last.equals(mine):  # a training loop: the last one
            return graph.with_structure(last)
        stored = self._structures.get(mine.key)
        if stored is not None and stored.equals(mine):
            return graph.with_structure(stored)
        return graph

    def stores(self, structure: Structure) -> bool:
        """Whether `structure` is one this trace holds (a kept step uses it)."""
        return self._structures.get(structure.key) is structure

    def nbytes(self) -> int:
        """Bytes of graph columns this trace holds: each structure once, each step's numbers."""
        graphs = list(self._graphs.values())
        if self._latest is not None and self._latest[0] not in self._graphs:
            graphs.append(self._latest[1])
        structures = {id(g.structure): g.structure for g in graphs}
        return sum(s.nbytes() for s in structures.values()) + sum(
            g.numbers.nbytes() for g in graphs
        )

    def with_step(self, summary: StepSummary, graph: StepGraph | None) -> Trace:
        """A copy that shows one more step (the step so far, while paused); this trace
        is unchanged. Columns and string tables are shared, not copied."""
        view = copy.copy(self)
        view.steps = [*self.steps]
        view._offsets = [*self._offsets]
        view._graphs = dict(self._graphs)
        view._structures = dict(self._structures)
        view._views = {}
        view._replays = {}
        view._nonfinite = None
        view.add_step(summary, graph, permanent=graph is not None)
        return view

    def name_entity(self, entity: int, label: str) -> None:
        """Remember `label` as the name of a persistent leaf (parameter) entity."""
        label = as_label(label)  # a label set by hand may be anything: text
        if label:
            self._entity_names[entity] = label

    def entity_names(self) -> dict[int, str]:
        """The name of each named persistent leaf (parameter), by entity id."""
        return dict(self._entity_names)

    def name_of_entity(self, entity: int) -> str | None:
        return self._entity_names.get(entity)

    @property
    def num_events(self) -> int:
        return self._offsets[-1]

    @property
    def event_offsets(self) -> np.ndarray:
        """The first event of every step, and the number of events: steps + 1 ints
        (a new array each time: use `event_offset(step)` for one step)."""
        return np.asarray(self._offsets, dtype=np.int64)

    def event_offset(self, step: int) -> int:
        """The first event of `step` (`len(steps)`: the number of events)."""
        return self._offsets[_whole(step, "a step number")]

    def step_of_event(self, t: int) -> int:
        t = _whole(t, "an event number")
        if not 0 <= t < self.num_events:
            raise IndexError(
                f"event {t} is outside this trace (0..{self.num_events - 1})"
            )
        return (
            bisect_right(self._offsets, t) - 1
        )  # a list: bisect, not numpy (State.move)

    def graph(self, step: int) -> StepGraph:
        """The full graph of `step`; a clear error if only its summary was kept."""
        step = _whole(step, "a step number")
        if not 0 <= step < len(self.steps):
            raise IndexError(
                f"step {step} is outside this trace (0..{len(self.steps) - 1})"
            )
        view = self._views.get(step)
        if view is not None:
            return view
        stored = self._graphs.get(step)
        if stored is None and self._latest and self._latest[0] == step:
            stored = self._latest[1]
        if stored is not None:
            # a view of its own: its unpacked columns live while it is among the few
            # asked for lately, not for as long as the trace
            view = StepGraph(
                stored.structure, stored.numbers, stored.entity_base, stored.num_visits
            )
            self._views = {step: view, **dict(list(self._views.items())[:3])}
            return view
        raise LookupError(
            f"step {step} kept only its summary (loss {self.steps[step].loss:.6g}); "
            f"{_some(self.kept_steps())} kept in full. Record with a larger max_nodes "
            "or keep_every=1 to keep it."
        )

    def kept_steps(self) -> list[int]:
        """The steps whose graph is held, in order (the kept ones, then the latest)."""
        kept = list(self._graphs)  # added in step order
        if self._latest and self._latest[0] not in self._graphs:
            kept.append(self._latest[0])  # the latest step comes after every kept one
        return kept

    def replay(self, step: int) -> BackwardReplay:
        """The per-edge replay of `step`'s backward, computed once."""
        graph = self.graph(step)
        cached = self._replays.get(step)
        if cached is None or cached.graph.numbers is not graph.numbers:
            cached = BackwardReplay(graph)
            self._replays = {step: cached, **dict(list(self._replays.items())[:3])}
        return cached

    def state_at(self, t: int) -> State:
        """Which nodes exist right after event `t`, their values, and every grad so far."""
        t = _whole(t, "an event number")
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

    def parameter_history(self, name: Any) -> dict[str, np.ndarray]:
        """`step`, `value`, `grad` arrays of a parameter over all steps: its label
        (`"layers.0.neurons.3.w.1"`) or the parameter Value itself."""
        if isinstance(name, str):
            entities = {e for e, label in self._entity_names.items() if label == name}
            if not entities:
                close = difflib.get_close_matches(name, self.parameter_names(), 5, 0.5)
                raise KeyError(
                    f"no parameter labelled {name!r}; "
                    + (f"did you mean one of {close}?" if close else
                       f"this trace has {len(self._entity_names)} named parameters "
                       "(trace.parameter_names() lists them)")
                )  # fmt: skip
        elif hasattr(name, "_prev") and hasattr(name, "grad"):
            entities = {_entity.entity_of(name)}
            if not any(e in s.param_entity for s in self.steps for e in entities):
                raise KeyError(
                    f"{name!r} is not a parameter of this trace (a leaf built before "
                    "a step that the step's backward reached)"
                )
        else:
            raise TypeError(
                "parameter_history takes a parameter's label (a str such as "
                "'layers.0.neurons.3.w.1') or the parameter Value itself, got "
                f"{type(name).__name__}: {name!r:.40}"
            )
        steps, values, grads = [], [], []
        for s in self.steps:
            found = [(v, g) for e, v, g in zip(s.param_entity, s.param_value,
                                               s.param_grad) if e in entities]  # fmt: skip
            if len(found) > 1:
                raise ValueError(
                    f"{len(found)} parameters are labelled {name!r} in step {s.index} "
                    "(two models, or a model and its copy?); pass the parameter "
                    "itself: trace.parameter_history(model.parameters()[i])"
                )
            for v, g in found:
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
        if hasattr(spec, "_prev"):
            node = graph.node_of_value(spec)
            return np.array([node]) if node is not None else np.array([], dtype=int)
        raise TypeError(
            f"find a node by Value, node id (int), label or label pattern (str); "
            f"got {type(spec).__name__}"
        )

    def breakpoint_hits(self, specs: Any) -> list[dict]:
        """Where breakpoints would pause, as timeline positions: [{'event', 'step', 'node', 'spec'}]."""
        return _hits.breakpoint_hits(self, parse_specs(specs))

    def first_nonfinite(self) -> dict | None:
        """Where the first NaN/inf was born (forward value or backward grad), or None.

        It replays every kept step, so the answer is kept while the trace does not
        change (each viewer opened on the trace asks for it).
        """
        if self._nonfinite is None or self._nonfinite[0] != self.version:
            self._nonfinite = (self.version, _anomaly.first_nonfinite(self))
        found = self._nonfinite[1]
        return None if found is None else dict(found)

    def compare(self, step: int = -2, other: Trace | None = None, other_step: int = -1):
        """This trace's `step` against `other_step` of `other` (default: this trace,
        its last two steps): aligned nodes and their values and grads (compare.py)."""
        from .compare import compare  # compare.py imports no trace code: no cycle

        return compare(self, other, step_a=step, step_b=other_step)

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
        from .widget import show  # the widget imports no trace code: no cycle

        show(self)

    # ------------------------------------------------------------------ files

    def save(self, path) -> None:
        """Write the trace to `path` (a binary bundle, no pickle; docs/trace-format.md)."""
        _tracefile.write(self, path)

    @classmethod
    def load(cls, path) -> Trace:
        """Read a trace written by `save` (no pickle; a bad file raises TraceFileError)."""
        trace = cls()
        _tracefile.read_into(trace, path)
        return trace

    def to_html(self, path, *, title: str = "mgdebug trace", breakpoints=()):
        """Write one self-contained HTML file (viewer + data) that works offline from file://."""
        return export_html.write_html(self, path, title=title, breakpoints=breakpoints)

    def to_perfetto(self, path) -> None:
        """Write Chrome/Perfetto trace JSON: steps as slices, forward/backward tracks, loss counter."""
        _perfetto.write_perfetto(self.steps, path)


def _whole(x: Any, what: str) -> int:
    """`x` as an int, or a TypeError naming `what` was expected (1.5, '3', True)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return int(x)
    raise TypeError(f"expected {what} (an int), got {type(x).__name__}: {x!r:.40}")


def _some(steps: list[int]) -> str:
    """`steps 0, 1, 2` or, for many, `120 steps (0, 1, 2, ..., 119)`."""
    if not steps:
        return "no steps are"
    if len(steps) <= 8:
        return (
            "steps "
            + ", ".join(map(str, steps))
            + (" are" if len(steps) > 1 else " is")
        )
    head = ", ".join(map(str, steps[:3]))
    return f"{len(steps)} steps ({head}, ..., {steps[-1]}) are"


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
