"""The recorder: listens to micrograd's events and appends what it hears to a Trace, step by step.

A step is everything from the end of the previous `backward()` to the end of the
next one. While a step runs, the engine appends every Value built to the
recorder's tape (micrograd.events.Tape: an append, no call per op); the step
buffer (`_stepbuffer.py`) reads them into columns when backward begins, and when
the step closes it becomes one `StepGraph` of numpy columns, or just a summary
when the caps say so (docs/trace-format.md).

Node identity (`_entity.py`): every Value the recorder meets gets an entity id,
once; a Value that already has one keeps it, so that it stays findable in every
trace that recorded it.

Public surface for the rest of mgdebug: the listener methods, `close_step`,
`snapshot` (the step in progress, for a pause), `step_index`, `nodes_built`,
`stop_requested` and `busy`.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
import threading
import time
import warnings
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

import micrograd
from micrograd.events import Tape

from . import _livecheck, _nodes
from ._entity import ENTITY_BITS, IMPORTED_BIT
from ._graph import StepGraph
from ._imports import as_refs
from ._stepbuffer import Interns, StepBuffer, fit_sources, labelled
from ._summary import StepSummary

if TYPE_CHECKING:
    from .trace import Trace

_recorder_serials = itertools.count(1)
_OWN_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (micrograd, sys.modules[__package__])
)
# the hot path looks at the Stop button (and the cap, past max_nodes) every this many Values
_CHECK_EVERY = 1024
# max_nodes is a memory budget counted in nodes of an unshared graph: a node with its
# edges and visit takes ~49 bytes of columns (micrograd's demo). A step whose structure
# the trace already stores costs only its numbers (~10 bytes a node on the demo).
BYTES_PER_NODE = 50


def _busy(method):
    """Count the recorder busy while `method` runs: a forced Stop waits (magic.py),
    and so do signals (`_signals.py`), whose handlers run once the work is done."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        self.busy += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self.busy -= 1
            if not self.busy and self.deferred:
                self._run_deferred()

    return run


class TraceStopped(KeyboardInterrupt):
    """The viewer's Stop (or a kernel interrupt) ended the traced code; the trace keeps what ran."""

    def __init__(self, *args):  # raised without arguments too (_worker.py's raise_in)
        super().__init__(*(args or ("stopped; the trace keeps what ran",)))


class RecordingCapWarning(UserWarning):
    """Recording hit a cap: later steps keep only their summaries."""


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
        on_building=None,
    ):
        self.trace = trace
        self.on_step = on_step  # called after each step closes (live progress)
        # called every _CHECK_EVERY Values with the count built so far in the step in
        # progress (live progress inside one long step; the callee limits its rate)
        self.on_building = on_building
        self.stop_requested = threading.Event()  # set from another thread to stop
        self.busy = 0  # > 0 while the recorder's own bookkeeping runs (see _busy)
        # signal handlers that came while busy, run when it ends: (signum, call)
        self.deferred: list[tuple[int, Callable[[], object]]] = []
        self.max_nodes = max_nodes
        self.keep_every = keep_every
        self._owner = next(_recorder_serials) << ENTITY_BITS
        self._next_entity = self._owner
        self._next_imported = self._owner | IMPORTED_BIT
        self._kept_bytes = 0
        self._full = False  # max_nodes reached: no later step is kept for good
        self._noticed: set[str] = set()
        self._warned = False
        self._code_is_ours: dict[object, bool] = {}
        self._interns = Interns(trace.strings, self._new_import_entity)
        # the engine appends every Value built to the tape (no call): it is the
        # step's `built`, which the step buffer reads
        self.tape = Tape(on_due=self._checkpoint)
        self._step = StepBuffer(0, self._next_entity, self.tape, self._interns)
        self._new_step_tape()
        # a per-Value call only when each Value's source line is wanted
        self.value_created = self._note_source if source else None

    @property
    def step_index(self) -> int:
        """The index the step in progress will have in the trace."""
        return self._step.index

    @property
    def nodes_built(self) -> int:
        """Values built so far in the step in progress."""
        return self._step.nodes_built

    def _run_deferred(self) -> None:
        """Run the signal handlers that waited (one that raises ends the rest, as the
        signals would have, and its exception surfaces here)."""
        waiting, self.deferred = self.deferred, []
        for _, call in waiting:
            call()

    def _new_import_entity(self) -> int:
        self._next_imported += 1
        return self._next_imported - 1

    # ------------------------------------------------------------------ forward

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
            self._read(s)  # count only (reading imports the parameters met so far,
            s.overflowed = True  # for the summary)
            s.uncounted += len(tape)
            s.data.clear()
            self._new_step_tape()
        tape.due = len(tape) + _CHECK_EVERY
        if not s.overflowed:
            tape.due = min(tape.due, self.max_nodes + 1)
        if self.on_building is not None:
            self.on_building(s.nodes_built)

    def _note_source(self, value, scope) -> None:
        """value_created, with source=True: the tape has the Value, this its source line."""
        s = self._step
        if not s.overflowed:
            n = len(self.tape) - 1  # this Value's node id: one line per node before
            if len(s.src_line) != n or len(s.src_file) != n:
                fit_sources(s, n)  # a call that an interrupt skipped or cut short
            self._record_source(s)

    def name_what_was_built(self) -> None:
        """Read (and name) the Values built so far in this step, now: another recorder
        (a nested record()) may meet them before this step closes."""
        if not self._step.overflowed:
            self._read(self._step)

    @_busy
    def _read(self, s: StepBuffer) -> None:
        s.read(self.tape.scopes)

    def _record_source(self, s: StepBuffer) -> None:
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
        # where the grads start: every interior node is at 0 now, except the root
        # (seeded with +1); leaves hold what earlier backward() calls left them.
        # Read first: a grad that is no number fails here, before anything changed
        grads = _livecheck.start_grads(order)
        if self._step.root is not None:  # the last backward's end was never heard
            self._close_unheard()
        s = self._step
        began = time.perf_counter_ns()
        if s.overflowed:
            s.backward_ns, s.loss, s.num_visits, s.order = (
                began,
                float(root.data),
                len(order),
                order,
            )
            s.root = root
            return
        s.read(self.tape.scopes)
        base, end = s.entity_base, s.entity_base + s.resolved
        # one pass per field over the order, as in reading: refs, labels, grads
        refs = as_refs([v._tag for v in order])
        own = (refs >= base) & (refs < end)
        for i in np.flatnonzero(~own).tolist():  # from before this step: import
            refs[i] = s.ref(order[i])
        try:
            labels = [v.label for v in order]
        except AttributeError:  # a foreign class without labels (micrograd 0.1.0)
            labels = [_nodes.label_of(v) for v in order]
        named, leaves = [], []
        for i in labelled(labels):
            if own[i]:  # perhaps labelled after it was built
                t, v = int(refs[i]), order[i]
                named.append((t - base, self._interns.label(labels[i])))
                if _nodes.is_leaf(v):  # a named leaf built here: a parameter made here
                    leaves.append((t, v))
        seeded = np.flatnonzero(grads != 0)  # nan != 0 too
        # the step learns all at once, the root last: a step with a root has the rest
        # (the bookkeeping is not interrupted by signals, _signals.py, but an
        # exception raised into the thread could still land here)
        s.labels.extend(named)
        s.named_leaves.extend(leaves)
        s.backward_ns, s.loss, s.num_visits, s.order = (
            began,
            float(root.data),
            len(order),
            order,
        )
        s.visits, s.start_ids, s.start_grads = (
            refs,
            refs[seeded].tolist(),
            grads[seeded].tolist(),
        )
        s.root = root

    @_busy
    def closure_ran(self, node, grads_before, grads_after):
        """A closure node's `_backward` ran: keep what it left in its children's grads."""
        s = self._step
        if not s.overflowed:
            s.closure_ran(node, grads_before, grads_after)

    @_busy
    def visited_in(self, order: list, *, agreed: bool) -> None:
        """The visits as a foreign class's backward really ran them (engines.py), when
        they differ from the order told at backward_begin; each node kept once."""
        s = self._step
        if s.overflowed or s.root is None:
            return
        seen, firsts = set(), []
        for v in order:
            if id(v) not in seen:
                seen.add(id(v))
                firsts.append(v)
        s.order = firsts
        s.visits = np.asarray([s.ref(v) if v._tag is None or not (
            s.entity_base <= v._tag < s.entity_base + s.resolved) else v._tag
            for v in firsts], dtype=np.int64)  # fmt: skip
        s.num_visits = len(firsts)
        if not agreed or len(firsts) != len(order):
            self.trace.notices.append(
                f"step {s.index}: backward() ran the nodes in its own order"
                + (
                    ", some more than once (the trace keeps each node's first visit)"
                    if len(firsts) != len(order)
                    else ""
                )  # fmt: skip
                + "; breakpoints could stop only where it agreed with micrograd's order"
            )

    @_busy
    def backward_end(self, root, completed, applied):
        s = self._step
        if s.root is None:
            # backward_begin raised (a grad set to None) or never ran (an interrupt in
            # the engine's dispatch): no chain rule ran, and the step goes on
            return
        s.backward_completed = completed
        if not completed:
            self._keep_visits_that_ran(s, applied)
        elif s.root is not None and (s.closure_refs or s.closures_ran):
            self._check_closures(s)
        self.close_step()

    def _close_unheard(self) -> None:
        """Close a step whose backward began but whose end the recorder never heard
        (an interrupt in the engine's dispatch): how many chain rules ran is unknown."""
        s = self._step
        s.num_visits, s.backward_completed = 0, False
        self.trace.notices.append(
            f"step {s.index}: the end of its backward was not heard (interrupted); "
            "it shows none of its chain rules"
        )
        self.close_step()

    def _check_closures(self, s: StepBuffer) -> None:
        if not s.overflowed and len(s.visits):
            note = _livecheck.closures_replayed(s.to_graph(), s.order, s.index,
                                                self.trace.strings.ops)  # fmt: skip
            if note:
                self.trace.notices.append(note)

    def _keep_visits_that_ran(self, s: StepBuffer, applied: int) -> None:
        if s.overflowed or not len(s.visits):
            s.num_visits = min(applied, s.num_visits)
            return
        # every visit in the graph: the replay can go one past `applied`
        s.num_visits, note = _livecheck.visits_that_ran(s.to_graph(), s.order, applied,
                                                        s.index)  # fmt: skip
        if note:
            self.trace.notices.append(note)

    # ------------------------------------------------------------------ steps

    def snapshot(self, num_visits: int | None) -> tuple[StepSummary, StepGraph | None]:
        """The step in progress as it stands now (for a pause): forward only when
        `num_visits` is None, else with its first `num_visits` chain rules. The graph
        is None for a step past max_nodes."""
        s = self._step
        if not s.overflowed:
            self._read(s)
        summary = self._summarize(s)
        summary.has_backward = num_visits is not None
        summary.num_visits = num_visits or 0
        graph = None if s.overflowed else s.to_graph(num_visits=num_visits or 0)
        return summary, graph

    @_busy
    def close_step(self) -> None:
        """Turn the current step's buffer into the trace's columns and begin a new step."""
        s = self._step
        if not s.overflowed:
            s.read(self.tape.scopes)
        self._next_entity = s.entity_base + s.resolved  # the ids reading gave out
        if s.root is None:  # (what an interrupted backward_begin may have left)
            s.visits, s.num_visits, s.start_ids, s.start_grads = [], 0, [], []
        added = bool(s.size() or s.root is not None)
        if added:
            summary = self._summarize(s)
            graph = None if s.overflowed else s.to_graph(s.num_visits)
            if graph is not None:  # an equal structure stored already: share it
                graph = self.trace.shared(graph)
            self.trace.add_step(summary, graph, permanent=self._keep(s, graph))
            if self.on_step is not None:
                self.on_step()
        self._new_step_tape()
        self._step = StepBuffer(
            s.index + added, self._next_entity, self.tape, self._interns
        )

    def _summarize(self, s: StepBuffer) -> StepSummary:
        leaves = s.imported.leaves + s.named_leaves
        for e, v in leaves:
            self.trace.name_entity(e, _nodes.label_of(v))
        return StepSummary(
            index=s.index,
            loss=s.loss,
            has_backward=s.root is not None,
            backward_completed=s.backward_completed,
            num_created=s.nodes_built,
            num_visits=s.num_visits,
            started_ns=s.started_ns,
            backward_ns=s.backward_ns,
            ended_ns=time.perf_counter_ns(),
            param_entity=array("q", [e for e, _ in leaves]),
            param_value=array("d", _numbers([v.data for _, v in leaves])),
            param_grad=array("d", _numbers([v.grad for _, v in leaves])),
        )

    def _keep(self, s: StepBuffer, graph: StepGraph | None) -> bool:
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
        cost = graph.numbers.nbytes()
        if not self.trace.stores(graph.structure):
            cost += graph.structure.nbytes()
        if self._full or self._kept_bytes + cost > self.max_nodes * BYTES_PER_NODE:
            self._full = True
            self._notice(
                "cap reached",
                f"recording reached max_nodes={self.max_nodes:,} at step {s.index}; later "
                "steps keep their summaries (loss, parameters) and the latest step in full",
            )
            return False
        self._kept_bytes += cost
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


def _numbers(xs: list) -> list[float]:
    """`float` of each, nan for what is no number (a grad set to None by hand)."""
    try:
        return [float(x) for x in xs]
    except (TypeError, ValueError):
        return [_livecheck.number(x) for x in xs]
