"""The recorder: listens to micrograd's events and appends them to a Trace, step by step.

A step is everything from the end of the previous `backward()` to the end of the
next one. While a step runs, its nodes go into plain Python lists (appending is
the cheapest thing Python does); when it ends, they become one `StepGraph` of
numpy columns, or just a summary when the caps say so (docs/trace-format.md).

Node identity: every Value the recorder meets gets an entity id in its `_tag`
slot (the one slot micrograd reserves for listeners). A step refers to Values
built in earlier steps, or before recording began (a model's parameters), by
*importing* them: a copy of the Value and of everything under it, made from the
live object and keeping its entity id, so that a parameter is the same entity
in every step.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
import warnings

import micrograd

from .trace import StepGraph, StepSummary, Trace

# Entity ids: recorder r owns [r << 40, (r + 1) << 40). Nodes built during a step
# take consecutive ids from the recorder's counter; imported Values that had no
# tag yet take ids with bit 39 set, so they never fall inside a step's range.
_ENTITY_BITS = 40
_IMPORTED_BIT = 1 << 39
_recorder_serials = itertools.count(1)
_OWN_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (micrograd, sys.modules[__package__])
)


class TraceStopped(KeyboardInterrupt):
    """The viewer's Stop (or a kernel interrupt) ended the traced code; the trace keeps what ran."""


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
        self.op, self.scope_runs, self.labels, self.data, self.child_end, self.child, self.local = hot
        self.last_scope = None  # scope_runs: (first node, scope id); labels: (node, label id)
        self.src_file, self.src_line = [], []
        # nodes imported from before the step (referred to as -1-slot until closed)
        self.imp_entity, self.imp_op, self.imp_label, self.imp_data = [], [], [], []
        self.imp_child_end, self.imp_child, self.imp_local = [], [], []
        self.imp_slot: dict[int, int] = {}
        self.imp_leaves: list[tuple[int, micrograd.Value]] = []  # for the summary
        # backward
        self.root = None
        self.loss = float("nan")
        self.visits: list[int] = []
        self.start_ids: list[int] = []
        self.start_grads: list[float] = []
        self.backward_completed = False
        self.overflowed = False
        self.uncounted = 0  # nodes built after the step overflowed
        self.num_visits = 0
        self.visits_done = None  # counted only when live breakpoints watch each chain rule

    def size(self) -> int:
        return len(self.op) + len(self.imp_op)


class Recorder:
    """A micrograd listener that writes what it hears into `trace`."""

    def __init__(
        self, trace: Trace, *, max_nodes: int, keep_every: int, source: bool, on_step=None
    ):
        self.trace = trace
        self.on_step = on_step  # called after each step closes (live progress)
        self.stop_requested = threading.Event()  # set from another thread to stop the code
        self.max_nodes = max_nodes
        self.keep_every = keep_every
        self.source = source
        self._owner = next(_recorder_serials) << _ENTITY_BITS
        self._next_entity = self._owner
        self._next_imported = self._owner | _IMPORTED_BIT
        self._kept_nodes = 0
        self._warned = False
        self._hot = ([], [], [], [], [], [], [])
        self._step = _StepBuffer(0, self._next_entity, self._hot)
        strings = trace.strings
        self._intern_op = strings.ops.intern
        self._intern_scope = strings.scopes.intern
        self._intern_label = strings.labels.intern
        self._code_is_ours: dict[object, bool] = {}
        self.value_created = self._make_value_created()

    # ------------------------------------------------------------------ forward

    def _make_value_created(self):
        """The listener method for `value_created`, as a closure over the step's lists.

        This runs once per Value built, so everything it touches is a local or a
        closure cell (a method reading a dozen attributes cost twice as much).
        """
        op_l, scope_l, label_l, data_l, end_l, child_l, local_l = self._hot
        op_ids = self.trace.strings.ops._index
        recorder = self

        def value_created(value, op, children, local_grads, scope):
            s = recorder._step
            local = len(op_l)
            if local >= recorder.max_nodes or s.overflowed:
                s.overflowed = True  # too big to keep even alone: only count from here on
                s.uncounted += 1
                return
            if not local & 0x3FF and recorder.stop_requested.is_set():  # every 1024 nodes
                raise TraceStopped("stopped from the viewer; the trace keeps what ran")
            base = s.entity_base
            value._tag = base + local
            try:
                op_l.append(op_ids[op])
            except KeyError:
                op_l.append(recorder._intern_op(op))
            if scope is not s.last_scope:  # scopes change rarely: keep runs, not a column
                s.last_scope = scope
                scope_l.append((local, recorder._intern_scope(scope)))
            if value.label:  # most nodes have none: keep the few that do
                label_l.append((local, recorder._intern_label(value.label)))
            data_l.append(value.data)
            end = base + local
            for c, d in zip(children, local_grads):
                t = c._tag
                if t is not None and base <= t < end:
                    child_l.append(t - base)
                else:
                    slot = s.imp_slot.get(t)
                    child_l.append(-1 - slot if slot is not None else recorder._import(c))
                local_l.append(d)
            end_l.append(len(child_l))
            if recorder.source:
                recorder._record_source(s)

        return value_created

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
            if v._tag is None or not (self._owner <= v._tag < self._owner + (1 << _ENTITY_BITS)):
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
        frame = sys._getframe(2)  # value_created <- events.created <- the op or Value()
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
            ours = code.co_filename.startswith(_OWN_DIRS) or "contextlib" in code.co_filename
            self._code_is_ours[code] = ours
        return ours

    # ------------------------------------------------------------------ backward

    def backward_begin(self, root, order):
        if self.stop_requested.is_set():
            raise TraceStopped("stopped from the viewer; the trace keeps what ran")
        s = self._step
        s.backward_ns = time.perf_counter_ns()
        s.root = root
        s.loss = float(root.data)
        s.num_visits = len(order)
        if s.overflowed:
            return
        base, end = s.entity_base, s.entity_base + len(s.op)
        visits = s.visits
        for v in order:
            t = v._tag
            local = t - base if t is not None and base <= t < end else self._import(v)
            visits.append(local)
            if v._a is None and v.grad != 0:
                s.start_ids.append(local)
                s.start_grads.append(v.grad)
            if v.label and local >= 0:  # perhaps labelled after it was built
                s.labels.append((local, self._intern_label(v.label)))
        if root._a is not None:  # an interior root was reset to 0 and seeded with +1
            s.start_ids.append(visits[0])
            s.start_grads.append(root.grad)

    def backward_end(self, root, completed):
        s = self._step
        s.backward_completed = completed
        if not completed and s.visits_done is not None:  # keep only the chain rules that ran
            del s.visits[s.visits_done :]
            s.num_visits = s.visits_done
        self.close_step()

    # ------------------------------------------------------------------ steps

    def close_step(self) -> None:
        """Turn the current step's lists into the trace's columns and begin a new step."""
        s = self._step
        self._next_entity = s.entity_base + len(s.op)
        if s.size() or s.root is not None:
            summary = self._summarize(s)
            graph = None if s.overflowed else StepGraph.from_buffer(s)
            self.trace._append_step(summary, graph, permanent=self._keep(s, graph))
            if self.on_step is not None:
                self.on_step()
        for column in self._hot:
            column.clear()
        self._step = _StepBuffer(s.index + (s.root is not None), self._next_entity, self._hot)

    def _summarize(self, s: _StepBuffer) -> StepSummary:
        entities = [e for e, _ in s.imp_leaves]
        for e, v in s.imp_leaves:
            self.trace._name_entity(e, v.label)
        return StepSummary(
            index=s.index,
            loss=s.loss,
            has_backward=s.root is not None,
            backward_completed=s.backward_completed,
            num_created=len(s.op) + s.uncounted,
            num_visits=s.num_visits,
            started_ns=s.started_ns,
            backward_ns=s.backward_ns,
            ended_ns=time.perf_counter_ns(),
            param_entity=entities,
            param_value=[float(v.data) for _, v in s.imp_leaves],
            param_grad=[float(v.grad) for _, v in s.imp_leaves],
        )

    def _keep(self, s: _StepBuffer, graph: StepGraph | None) -> bool:
        """Whether `graph` stays for good; if not, the trace holds it only as the latest step."""
        if graph is None:
            self._notice(
                f"step {s.index} built more than max_nodes={self.max_nodes:,} nodes on "
                "its own; it keeps only its summary (raise max_nodes to see it)"
            )
            return False
        if s.index % self.keep_every != 0:
            return False
        if self._kept_nodes + graph.num_nodes > self.max_nodes:
            self._notice(
                f"recording reached max_nodes={self.max_nodes:,} at step {s.index}; later "
                "steps keep their summaries (loss, parameters) and the latest step in full"
            )
            return False
        self._kept_nodes += graph.num_nodes
        return True

    def _notice(self, text: str) -> None:
        self.trace.notices.append(text)
        if not self._warned:
            self._warned = True
            warnings.warn(text, RecordingCapWarning, stacklevel=2)
