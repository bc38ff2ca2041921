"""The recorder: listens to micrograd's events and appends them to a Trace, step by step.

A step is everything from the end of the previous `backward()` to the end of the
next one. While a step runs, its nodes go into plain Python lists (appending is
the cheapest thing Python does); when it ends, they become one `StepGraph` of
numpy columns, or just a summary when the caps say so (docs/trace-format.md).

Node identity: every Value the recorder meets gets an entity id in its `_tag`
slot (the one slot micrograd reserves for listeners), once: a Value that already
has one (from an earlier step, or from another recorder) keeps it, so that it
stays findable in every trace that recorded it. A step refers to Values built in
earlier steps, or before recording began (a model's parameters), by *importing*
them: a copy of the Value and of everything under it, made from the live object
and keeping its entity id, so that a parameter is the same entity in every step.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
import threading
import time
import warnings

import numpy as np

import micrograd
from micrograd.events import Tape

from .trace import StepGraph, StepSummary, Trace

# Entity ids: recorder r owns [r << 40, (r + 1) << 40), so ids are unique across
# recorders. Nodes built during a step take consecutive ids from the recorder's
# counter; imported Values that had no tag yet take ids with bit 39 set, so they
# never fall inside a step's range.
_ENTITY_BITS = 40
_IMPORTED_BIT = 1 << 39
_recorder_serials = itertools.count(1)
_OWN_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (micrograd, sys.modules[__package__])
)


# _resolve's refs for "no child" and "a Value no recorder has named yet" (both import)
_NO_CHILD = -(1 << 62)
_UNTAGGED = -(1 << 61)
# the hot path looks at the Stop button (and the cap, past max_nodes) every this many Values
_CHECK_EVERY = 1024


def _as_refs(tags: list) -> np.ndarray:
    """Entity ids as int64; a None (a Value no recorder has named yet) becomes _UNTAGGED."""
    try:
        return np.fromiter(tags, np.int64, len(tags))
    except TypeError:  # some Value has no tag yet (one from before any recording)
        return np.fromiter(
            [_UNTAGGED if t is None else t for t in tags], np.int64, len(tags)
        )


def _busy(method):
    """Count the recorder busy while `method` runs: a forced Stop waits (magic.py)."""

    @functools.wraps(method)
    def run(self, *args):
        self.busy += 1
        try:
            return method(self, *args)
        finally:
            self.busy -= 1

    return run


def _child(nodes: list, met: int):
    """The child met at `met` = 2 * node index, + 1 for the node's second child."""
    v = nodes[met >> 1]
    return v._b if met & 1 else v._a


class TraceStopped(KeyboardInterrupt):
    """The viewer's Stop (or a kernel interrupt) ended the traced code; the trace keeps what ran."""

    def __init__(self, *args):  # raised without arguments too (magic.py's _raise_in)
        super().__init__(*(args or ("stopped; the trace keeps what ran",)))


class RecordingCapWarning(UserWarning):
    """Recording hit a cap: later steps keep only their summaries."""


class _StepBuffer:
    """The columns of the step being recorded, as growing lists."""

    def __init__(self, index: int, entity_base: int, hot: tuple[list, ...]):
        self.index = index
        self.entity_base = entity_base  # entity of the step's node 0
        self.started_ns = time.perf_counter_ns()
        self.backward_ns = 0
        # nodes built in this step (local ids 0..n-1); the recorder's hot path appends
        # to these same lists, which it empties once the step is closed
        (
            self.built,  # the Values built, in order: the hot path appends only these
            self.scope_runs,  # ... and (first node, scope id) when the scope changes;
            self.data,  # the rest are numpy chunks read off them by Recorder._resolve
            self.op,
            self.labels,
            self.child_end,
            self.child,
            self.local,
        ) = hot
        self.resolved = 0  # how many of `built` _resolve has read (and tagged)
        self.scopes_read = 0  # ... and how many of the tape's scope notes
        self.src_file, self.src_line = [], []
        # child, visits and start_ids hold refs, made local ids when the step closes:
        # a node built in this step by its entity id (the int already in its _tag, so
        # the hot path allocates nothing), an imported node by -1-slot
        self.imp_entity, self.imp_op, self.imp_label, self.imp_data = [], [], [], []
        self.imp_child_end, self.imp_child, self.imp_local = [], [], []
        self.imp_slot: dict[int, int] = {}
        self.imp_leaves: list[tuple[int, micrograd.Value]] = []  # for the summary
        self.named_leaves: list[
            tuple[int, micrograd.Value]
        ] = []  # built here, labelled
        # backward
        self.root = None
        self.order: list | None = (
            None  # the engine's visit order, until the step closes
        )
        self.loss = float("nan")
        self.visits: list[int] | np.ndarray = []  # refs, int64 once backward began
        self.start_ids: list[int] = []
        self.start_grads: list[float] = []
        self.backward_completed = False
        self.overflowed = False
        self.uncounted = 0  # nodes built after the step overflowed
        self.num_visits = 0
        self.visits_done = (
            None  # counted only when live breakpoints watch each chain rule
        )
        self.nonfinite_seen = (
            False  # a `nonfinite` breakpoint already hit in this backward
        )

    def size(self) -> int:
        return len(self.built) + len(self.imp_op)


class Recorder:
    """A micrograd listener that writes what it hears into `trace`."""

    def __init__(
        self,
        trace: Trace,
        *,
        max_nodes: int,
        keep_every: int,
        source: bool,
        on_step=None,
    ):
        self.trace = trace
        self.on_step = on_step  # called after each step closes (live progress)
        self.stop_requested = (
            threading.Event()
        )  # set from another thread to stop the code
        self.busy = 0  # > 0 while the recorder's own bookkeeping runs (see _busy)
        self.max_nodes = max_nodes
        self.keep_every = keep_every
        self.source = source
        self._owner = next(_recorder_serials) << _ENTITY_BITS
        self._next_entity = self._owner
        self._next_imported = self._owner | _IMPORTED_BIT
        self._kept_nodes = 0
        self._full = False  # max_nodes reached: no later step is kept for good
        self._noticed: set[str] = set()
        self._warned = False
        # the engine appends every Value built to the tape (no call): it is the
        # step's `built`; the other lists are the step's columns, made by _resolve
        self.tape = Tape(on_due=self._checkpoint)
        self._hot = (self.tape, [], [], [], [], [], [], [])
        self._step = _StepBuffer(0, self._next_entity, self._hot)
        strings = trace.strings
        self._intern_op = strings.ops.intern
        self._intern_scope = strings.scopes.intern
        self._intern_label = strings.labels.intern
        self._code_is_ours: dict[object, bool] = {}
        self._new_step_tape()
        # a per-Value call only when each Value's source line is wanted
        self.value_created = self._note_source if source else None

    # ------------------------------------------------------------------ forward

    # The engine appends every Value built to `self.tape` (micrograd.events.Tape):
    # no call per Value, which would cost more than the op. Everything about a
    # Value (entity id, value, op, children, local grads, label, scope) `_resolve`
    # reads off the kept Values later, when backward begins or the step closes, in
    # one pass per field (docs/benchmarks.md, "Session 3").

    def _new_step_tape(self) -> None:
        tape = self.tape
        tape.clear()
        tape.scopes.clear()
        tape.scopes.append((0, micrograd.current_scope()))
        tape.due = min(_CHECK_EVERY, self.max_nodes + 1)

    @_busy
    def _checkpoint(self) -> None:
        """Every _CHECK_EVERY Values, and past max_nodes: the Stop button and the cap."""
        s, tape = self._step, self.tape
        if self.stop_requested.is_set():
            raise TraceStopped("stopped from the viewer; the trace keeps what ran")
        if s.overflowed:  # past the cap: count, and let go of the Values kept
            s.uncounted += len(tape)
            self._new_step_tape()
        elif len(tape) > self.max_nodes:  # too big to keep even alone: from here on
            self._resolve(s)  # count only (resolving imports the parameters met so
            s.overflowed = True  # far, for the summary)
            s.uncounted += len(tape)
            s.data.clear()
            self._new_step_tape()
        tape.due = len(tape) + _CHECK_EVERY
        if not s.overflowed:
            tape.due = min(tape.due, self.max_nodes + 1)

    def _note_source(self, value, scope) -> None:
        """value_created, with source=True: the tape has the Value, this its source line."""
        s = self._step
        if not s.overflowed:
            self._record_source(s)

    def name_what_was_built(self) -> None:
        """Read (and tag) the Values built so far in this step, now: another recorder
        (a nested record()) may meet them before this step closes."""
        if not self._step.overflowed:
            self._resolve(self._step)

    @_busy
    def _resolve(self, s: _StepBuffer) -> None:
        """Read op, label, children and local grads off the Values built since the last call.

        A child built earlier in this step is referred to by its entity id; any
        other is imported (copied, with what is under it) the first time it is met.
        It reads each field in one comprehension and finishes in numpy, which
        makes the step's columns directly.
        """
        built, start = s.built, s.resolved
        n = len(built) - start
        if n <= 0:
            return
        nodes = built[start : start + n]  # a copy: another thread may append meanwhile
        base, first = s.entity_base, s.entity_base + start
        for value, entity in zip(nodes, range(first, first + n)):  # name them first:
            value._tag = entity  # their parents, read below, may be among them
        s.data.append(np.fromiter([v.data for v in nodes], np.float64, n))
        # the engine's (first Value, scope path) notes; a scope left where the next
        # one begins (same position) is dropped
        notes = self.tape.scopes
        new = notes[s.scopes_read :]
        s.scope_runs.extend(
            (at, self._intern_scope(path))
            for (at, path), (later, _) in zip(new, [*new[1:], (-1, "")])
            if at != later
        )
        s.scopes_read = len(notes)
        index = self.trace.strings.ops._index
        names = [v._op for v in nodes]
        for name in set(names).difference(index):
            self._intern_op(name)
        s.op.append(np.fromiter(map(index.__getitem__, names), np.uint16, n))
        labels = [v.label for v in nodes]  # most are '': keep the few that are not
        s.labels.extend(
            (start + i, self._intern_label(labels[i]))
            for i in itertools.compress(range(n), labels)
        )
        # children as refs: entity ids for nodes built earlier in the step, imports else
        a_ref = _as_refs([_NO_CHILD if (c := v._a) is None else c._tag for v in nodes])
        b_ref = _as_refs([_NO_CHILD if (c := v._b) is None else c._tag for v in nodes])
        own = np.arange(first, first + n)
        has_a, has_b = a_ref != _NO_CHILD, b_ref != _NO_CHILD
        import_a = has_a & ((a_ref < base) | (a_ref >= own))
        import_b = has_b & ((b_ref < base) | (b_ref >= own))
        self._import_children(nodes, a_ref, b_ref, import_a, import_b)
        count = has_a.astype(np.int64) + has_b
        prior = int(s.child_end[-1][-1]) if s.child_end else 0
        end = np.cumsum(count) + prior
        s.child_end.append(end)
        at_a = end[has_a] - count[has_a] - prior  # a node's edges: its a, then its b
        at_b = end[has_b] - 1 - prior
        child = np.empty(int(count.sum()), dtype=np.int64)
        local = np.empty(len(child))
        child[at_a], child[at_b] = a_ref[has_a], b_ref[has_b]
        local[at_a] = np.fromiter(
            [v._da for v in nodes if v._a is not None], np.float64, len(at_a)
        )
        local[at_b] = np.fromiter(
            [v._db for v in nodes if v._b is not None], np.float64, len(at_b)
        )
        s.child.append(child)
        s.local.append(local)
        s.resolved = start + n

    def _import_children(self, nodes, a_ref, b_ref, import_a, import_b):
        """Replace the tags of children from before the step by their import refs.

        Each distinct Value is imported once (Values no recorder named yet first,
        then the others in the order they are met): the same few parameters recur
        thousands of times, so the work is per distinct Value, and numpy spreads
        the refs over the edges.
        """
        at_a, at_b = np.flatnonzero(import_a), np.flatnonzero(import_b)
        met = np.concatenate([2 * at_a, 2 * at_b + 1])  # 2 i (+1 for b): meeting order
        tags = np.concatenate([a_ref[at_a], b_ref[at_b]])
        if not len(met):
            return
        untagged = np.flatnonzero(tags == _UNTAGGED)
        if len(untagged):  # Values from before any recording: import (and so name) each
            children = [_child(nodes, k) for k in met[untagged].tolist()]
            for child in children:  # the same few Values recur: the rest is a check
                if child._tag is None:
                    self._ref(child)
            tags[untagged] = [child._tag for child in children]
        distinct, first, inverse = np.unique(
            tags, return_index=True, return_inverse=True
        )
        distinct_refs = [  # each distinct Value once, in the order they are met
            (u, self._ref(_child(nodes, key)))
            for key, u in sorted(zip(met[first].tolist(), range(len(distinct))))
        ]
        ref_of = np.empty(len(distinct), dtype=np.int64)
        ref_of[[u for u, _ in distinct_refs]] = [r for _, r in distinct_refs]
        refs = ref_of[inverse]
        a_ref[at_a], b_ref[at_b] = refs[: len(at_a)], refs[len(at_a) :]

    def _ref(self, value) -> int:
        """The ref of a Value not built in this step: its import slot, as -1-slot."""
        slot = self._step.imp_slot.get(value._tag)
        return -1 - slot if slot is not None else self._import(value)

    def _import(self, value) -> int:
        """The import slot of a Value from before this step, copying it (and its graph) once."""
        s = self._step
        t = value._tag
        if t is not None and t in s.imp_slot:
            return -1 - s.imp_slot[t]
        # iterative post-order: a node is copied after all of its children
        stack = [(value, False)]
        while stack:
            v, children_done = stack.pop()
            if v._tag is not None and v._tag in s.imp_slot:
                continue
            children = v._prev
            if not children_done and children:
                stack.append((v, True))
                stack.extend((c, False) for c in children if c._tag not in s.imp_slot)
                continue
            if (
                v._tag is None
            ):  # from before recording (or another thread): name it once
                v._tag = self._next_imported
                self._next_imported += 1
            slot = len(s.imp_op)
            s.imp_slot[v._tag] = slot
            s.imp_entity.append(v._tag)
            s.imp_op.append(self._intern_op(v._op))
            s.imp_label.append(self._intern_label(v.label))
            s.imp_data.append(v.data)
            for c, d in zip(children, v.local_grads):
                s.imp_child.append(-1 - s.imp_slot[c._tag])
                s.imp_local.append(d)
            s.imp_child_end.append(len(s.imp_child))
            if not children:
                s.imp_leaves.append((v._tag, v))
        return -1 - s.imp_slot[value._tag]

    def _record_source(self, s: _StepBuffer) -> None:
        # value_created <- _result (an op) or events.created (a leaf) <- ...: the
        # loop below walks on past every frame of ours
        frame = sys._getframe(2)
        while frame is not None and self._is_ours(frame.f_code):
            frame = frame.f_back
        if frame is None:
            s.src_file.append(0)
            s.src_line.append(0)
        else:
            s.src_file.append(self.trace.strings.files.intern(frame.f_code.co_filename))
            s.src_line.append(frame.f_lineno)

    def _is_ours(self, code) -> bool:
        ours = self._code_is_ours.get(code)
        if ours is None:
            ours = (
                code.co_filename.startswith(_OWN_DIRS)
                or "contextlib" in code.co_filename
            )
            self._code_is_ours[code] = ours
        return ours

    # ------------------------------------------------------------------ backward

    @_busy
    def backward_begin(self, root, order):
        if self.stop_requested.is_set():
            raise TraceStopped("stopped from the viewer; the trace keeps what ran")
        s = self._step
        s.backward_ns = time.perf_counter_ns()
        s.root = root
        s.loss = float(root.data)
        s.num_visits = len(order)
        s.order = order
        if s.overflowed:
            return
        self._resolve(s)
        base, end = s.entity_base, s.entity_base + s.resolved
        # one pass per field over the order, as in _resolve: refs, labels, grads
        refs = _as_refs([v._tag for v in order])
        own = (refs >= base) & (refs < end)
        for i in np.flatnonzero(~own).tolist():  # from before this step: import
            refs[i] = self._import(order[i])
        labels = [v.label for v in order]
        for i in itertools.compress(range(len(order)), labels):
            if own[i]:  # perhaps labelled after it was built
                t, v = int(refs[i]), order[i]
                s.labels.append((t - base, self._intern_label(labels[i])))
                if (
                    v._a is None
                ):  # a named leaf built here: a parameter made in the region
                    s.named_leaves.append((t, v))
        s.visits = refs
        # where the grads start: every interior node is at 0 now, except the root
        # (seeded with +1); leaves hold what earlier backward() calls left them
        grads = np.fromiter([v.grad for v in order], np.float64, len(order))
        seeded = np.flatnonzero(grads != 0)  # nan != 0 too
        s.start_ids = refs[seeded].tolist()
        s.start_grads = grads[seeded].tolist()

    def backward_end(self, root, completed):
        self._step.backward_completed = completed
        self.close_step()

    def _visits_that_ran(self, s: _StepBuffer) -> int:
        """How many chain rules a backward that stopped early applied, read off the live grads.

        Without per-node events (they would slow every backward) nobody counted, so
        replay the recorded visits and take the first count after which every grad
        equals the live one. Leaf visits change nothing, so ones right before the
        failure are left out; if no count matches (stopped inside a chain rule),
        the closest one is kept and a notice says so.
        """

        def same(a, b):
            return a == b or (a != a and b != b)  # nan equals nan here

        child_end = np.concatenate(s.child_end).tolist() if s.child_end else []
        child = np.concatenate(s.child).tolist() if s.child else []
        local = np.concatenate(s.local).tolist() if s.local else []

        def edges(ref):
            if ref >= 0:  # built in this step
                i = ref - s.entity_base
                lo = child_end[i - 1] if i else 0
                return child[lo : child_end[i]], local[lo : child_end[i]]
            i = -1 - ref
            lo = s.imp_child_end[i - 1] if i else 0
            return s.imp_child[lo : s.imp_child_end[i]], s.imp_local[
                lo : s.imp_child_end[i]
            ]

        visits = np.asarray(s.visits, dtype=np.int64).tolist()
        live = {ref: v.grad for ref, v in zip(visits, s.order)}
        grad = dict.fromkeys(visits, 0.0)
        grad.update(zip(s.start_ids, s.start_grads))
        wrong = {ref for ref, g in grad.items() if not same(g, live[ref])}
        best, fewest = 0, len(wrong)
        for j, ref in enumerate(visits):
            if not wrong:
                return j
            g = grad[ref]
            for c, d in zip(*edges(ref)):
                grad[c] += d * g  # the engine's own float operations, in its order
                if same(grad[c], live[c]):
                    wrong.discard(c)
                else:
                    wrong.add(c)
            if len(wrong) < fewest:
                best, fewest = j + 1, len(wrong)
        if wrong:
            self.trace.notices.append(
                f"step {s.index}: backward stopped inside a chain rule; the trace shows it "
                f"up to the last whole one ({best} of {len(s.visits)} nodes)"
            )
        return len(s.visits) if not wrong else best

    # ------------------------------------------------------------------ steps

    @_busy
    def close_step(self) -> None:
        """Turn the current step's lists into the trace's columns and begin a new step."""
        s = self._step
        if not s.overflowed:
            self._resolve(s)
        self._next_entity = s.entity_base + s.resolved  # the ids _resolve gave out
        if s.root is not None and not s.backward_completed and not s.overflowed:
            # keep only the chain rules that ran (live breakpoints count them)
            done = (
                s.visits_done if s.visits_done is not None else self._visits_that_ran(s)
            )
            s.visits = s.visits[:done]
            s.num_visits = done
        if s.size() or s.root is not None:
            summary = self._summarize(s)
            graph = None if s.overflowed else StepGraph.from_buffer(s)
            self.trace._append_step(summary, graph, permanent=self._keep(s, graph))
            if self.on_step is not None:
                self.on_step()
        for column in self._hot[1:]:
            column.clear()
        self._new_step_tape()
        self._step = _StepBuffer(
            s.index + (s.root is not None), self._next_entity, self._hot
        )

    def _summarize(self, s: _StepBuffer) -> StepSummary:
        leaves = s.imp_leaves + s.named_leaves
        entities = [e for e, _ in leaves]
        for e, v in leaves:
            self.trace._name_entity(e, v.label)
        return StepSummary(
            index=s.index,
            loss=s.loss,
            has_backward=s.root is not None,
            backward_completed=s.backward_completed,
            num_created=len(s.built) + s.uncounted,
            num_visits=s.num_visits,
            started_ns=s.started_ns,
            backward_ns=s.backward_ns,
            ended_ns=time.perf_counter_ns(),
            param_entity=entities,
            param_value=[float(v.data) for _, v in leaves],
            param_grad=[float(v.grad) for _, v in leaves],
        )

    def _keep(self, s: _StepBuffer, graph: StepGraph | None) -> bool:
        """Whether `graph` stays for good; if not, the trace holds it only as the latest step."""
        if graph is None:
            self._notice(
                "step too big",
                f"step {s.index} built more than max_nodes={self.max_nodes:,} nodes on "
                "its own; it (and any later step that does) keeps only its summary "
                "(raise max_nodes to see it)",
            )
            return False
        if s.index % self.keep_every != 0:
            return False
        if self._full or self._kept_nodes + graph.num_nodes > self.max_nodes:
            self._full = True
            self._notice(
                "cap reached",
                f"recording reached max_nodes={self.max_nodes:,} at step {s.index}; later "
                "steps keep their summaries (loss, parameters) and the latest step in full",
            )
            return False
        self._kept_nodes += graph.num_nodes
        return True

    def _notice(self, kind: str, text: str) -> None:
        """Note a cap in the trace once per kind, and warn once per recording."""
        if kind in self._noticed:
            return
        self._noticed.add(kind)
        self.trace.notices.append(text)
        if not self._warned:
            self._warned = True
            warnings.warn(text, RecordingCapWarning, stacklevel=2)
