"""Fuzzing trace files: hypothesis mutates valid files and recomputes their CRC.

Every mutated file must either be refused with TraceFileError, or load into a
trace whose every reader (state_at, anomaly mode, replay hits, the viewer's
answers, the standalone HTML) works, each within bounded work and memory:

- work: chain-rule edges replayed by one reader <= WORK_PER_BYTE * file size
  (counted, not timed: each kept step's numbers take a byte per edge at least);
- memory: tracemalloc's peak over load and all readers
  <= MEMORY_PER_BYTE * file size + MEMORY_BASE (the page's JS and CSS, numpy's
  and the interpreter's working set).

tests/test_tracefile_fuzz.py runs this in a subprocess under RLIMIT_AS, so a
regression that lets a file eat memory fails a test instead of the machine:

    python tests/tracefile_fuzz.py EXAMPLES

It prints one JSON line: examples loaded and refused, and the worst ratios seen.
"""

from __future__ import annotations

import json
import random
import resource
import struct
import sys
import tempfile
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mgdebug
import micrograd
from mgdebug import _batch, _bundle, _replay, protocol
from micrograd import Value
from micrograd.nn import MLP

MAGIC = b"MGTRACE\0"
WORK_PER_BYTE = 1
MEMORY_PER_BYTE = 32
MEMORY_BASE = 4 << 20
EVENTS_PER_STEP = 24  # state_at at the first, the last and a few between

INTS = [-(2**63), -(2**31), -1, 0, 1, 2, 3, 5, 255, 256, 65535, 65536, 2**31 - 1,
        2**32 - 1, 2**53, 2**62, 2**63 - 1]  # fmt: skip
FLOATS = [0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, float("inf"), -float("inf"),
          float("nan")]  # fmt: skip
JSONS = [None, True, False, -1, 0, 1, 7, 2**53, 2**63, -(2**63), 10**30, 1e308,
         float("inf"), "", "x", "\ud800", [], {}, [0], [[1, "w"]], {"a": 1},
         {"event": 0, "reason": "r", "step": 0}]  # fmt: skip


# ---------------------------------------------------------------------- valid files


def base_traces() -> list[mgdebug.Trace]:
    """Three valid traces: shared structures, scopes and labels, caps and hits."""
    traces = []
    w = Value(0.5, label="w")
    with mgdebug.record() as t:
        for k in range(2):
            with micrograd.scope("loss"):
                (w * float(k + 1) + 1.0).tanh().backward()
    traces.append(t)
    random.seed(2)
    model = MLP(2, [3, 1])
    try:
        with mgdebug.record(keep_every=2, source=True, break_on="op:relu") as t:
            for k in range(3):
                loss = (model([Value(1.0), Value(k - 1.0)]) - 1) ** 2
                loss.label = "loss"
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= 0.1 * p.grad
            (model([Value(2.0), Value(1.0)]) * 1e308 * 1e308).backward()  # inf
            raise RuntimeError("end")
    except RuntimeError:
        pass
    traces.append(t)
    with mgdebug.record(max_nodes=12) as t:  # summaries past the cap, the latest
        for k in range(4):
            (w * float(k) + w * w).backward()
    traces.append(t)
    big = MLP(2, [8, 8, 1])  # two steps of ~2,700 nodes: per-byte costs dominate
    with mgdebug.record() as t:
        for _ in range(2):
            xs = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(6)]
            loss = sum(((big(list(map(Value, x))) - 1) ** 2 for x in xs), Value(0.0))
            big.zero_grad()
            loss.backward()
    traces.append(t)
    return traces


def file_bytes(trace: mgdebug.Trace, folder: Path) -> bytes:
    trace.save(folder / "base.mgtrace")
    return (folder / "base.mgtrace").read_bytes()


def with_crc(body: bytes) -> bytes:
    data = MAGIC + body
    return data + struct.pack("<I", zlib.crc32(data))


def laid_out(columns: dict, meta: dict) -> bytes:
    """Columns and meta as docs/trace-format.md lays them out, whatever they hold."""
    specs, blobs = [], []
    for name, a in columns.items():
        specs.append({"name": name, "dtype": a.dtype.str[1:], "shape": [len(a)]})
        blob = a.tobytes()
        blobs.append(blob + b"\0" * (-len(blob) % 8))
    text = json.dumps({"meta": meta, "columns": specs}).encode()
    head = struct.pack("<II", 1, len(text)) + text
    return head + b"\0" * (-len(head) % 8) + b"".join(blobs)


# ---------------------------------------------------------------------- mutations


@st.composite
def mutated(draw, bases: list[bytes]) -> bytes:
    data = draw(st.sampled_from(bases))
    body = data[len(MAGIC) : -4]
    # (numbers: a valid file with other values, so that most of these load)
    how = draw(st.sampled_from(["bytes", "entry", "length", "meta", "numbers"] * 2
                               + ["numbers"] * 3 + ["hub"]))  # fmt: skip
    if how == "bytes":  # anywhere: the header's JSON or the columns
        body = bytearray(body)
        for _ in range(draw(st.integers(1, 4))):
            body[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
        return with_crc(bytes(body))
    columns, meta = _bundle.decode(body)
    columns = {k: v.copy() for k, v in columns.items()}
    meta = json.loads(json.dumps(meta))
    if how == "numbers":
        floats = sorted(k for k, v in columns.items() if v.dtype.kind == "f" and len(v))
        for _ in range(draw(st.integers(1, 3))):
            column = columns[draw(st.sampled_from(floats))]
            column[draw(st.integers(0, len(column) - 1))] = draw(
                st.sampled_from(FLOATS)
            )
        return with_crc(laid_out(columns, meta))
    if how == "hub":  # the review's attack: one node owns every edge, visited often
        ptr = columns["s0.child_ptr"]
        ptr[:-1] = 0  # the last node has every edge, each to node 0
        columns["s0.child"][:] = 0
        for name in [k for k in columns if k.endswith(".local_kind")]:
            columns[name][:] = 1  # each local derivative 1.0: no literals
            columns[name.replace("kind", "literal")] = np.zeros(0)
        visits = columns["s0.visits"]
        visits[: draw(st.integers(1, len(visits)))] = len(ptr) - 2
        return with_crc(laid_out(columns, meta))
    name = draw(st.sampled_from(sorted(columns)))
    column = columns[name]
    if how == "entry" and len(column):
        i = draw(st.integers(0, len(column) - 1))
        if column.dtype.kind == "f":
            column[i] = draw(st.sampled_from(FLOATS))
        else:  # wrapped into the column's type, as bytes on disk would be
            value = draw(st.sampled_from(INTS))
            column[i : i + 1] = np.array([value]).astype(column.dtype)
    elif how == "length":
        cut = draw(st.sampled_from(["drop last", "repeat last", "empty"]))
        if cut == "empty" or not len(column):
            columns[name] = column[:0]
        else:
            columns[name] = (
                column[:-1] if cut == "drop last" else np.append(column, column[-1:])
            )
    else:
        paths = list(_paths(meta, ()))
        path = draw(st.sampled_from(paths))
        target = meta
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(st.sampled_from(JSONS))
    return with_crc(laid_out(columns, meta))


def _paths(x, prefix):
    if isinstance(x, dict):
        for k, v in x.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(x, list):
        for i, v in enumerate(x[:4]):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


# ---------------------------------------------------------------------- readers


class Work:
    """Counts chain-rule edges replayed, by every path that replays."""

    def __init__(self):
        self.edges = 0
        replay_init = _replay.BackwardReplay.__init__
        many = _batch.final_grads_of_many

        def counting_init(replay, graph):
            replay_init(replay, graph)
            self.edges += replay.num_edges

        def counting_many(ptr, child, visits, local, start):
            ptr, visits = ptr.astype(np.int64), visits.astype(np.int64)
            self.edges += int((ptr[visits + 1] - ptr[visits]).sum()) * len(local)
            return many(ptr, child, visits, local, start)

        _replay.BackwardReplay.__init__ = counting_init
        _batch.final_grads_of_many = counting_many


def read_everything(trace: mgdebug.Trace, folder: Path, work: Work, size: int):
    """Every reader of a loaded trace; each within the work bound."""

    def bounded(reader, *args):
        before = work.edges
        try:
            result = reader(*args)
        except LookupError:  # a step kept only as a summary: a documented answer
            result = None
        spent = work.edges - before
        assert spent <= WORK_PER_BYTE * size, (reader.__name__, spent, size)
        ratios["work"] = max(ratios["work"], spent / size)
        return result

    def states():
        for step in trace.kept_steps():
            lo, hi = trace.event_offset(step), trace.event_offset(step + 1)
            picks = {lo, hi - 1, *np.linspace(lo, hi - 1, EVENTS_PER_STEP).astype(int)}
            for t in sorted(picks):
                state = trace.state_at(int(t))
                with np.errstate(all="ignore"):
                    state.grad.sum(), state.value.sum(), state.exists.sum()

    def answers():
        for kind in ("hello", "get_params", "get_anomaly"):
            reply, _ = protocol.answer(trace, {"kind": kind, "id": 1})
            assert reply["kind"] != "error", reply
        reply = protocol.hits(trace, ["grad>0", "nonfinite", "loss*", "op:tanh"], 2)
        assert reply["kind"] == "hits", reply
        for step in trace.kept_steps():
            reply, _ = protocol.answer(
                trace, {"kind": "get_step", "id": 3, "step": step}
            )
            assert reply["kind"] == "step_data", reply

    repr(trace)
    bounded(states)
    bounded(trace.first_nonfinite)
    bounded(answers)
    bounded(trace.to_html, folder / "f.html")
    bounded(trace.to_perfetto, folder / "f.json")
    if len(trace.kept_steps()) >= 2:
        a, b = trace.kept_steps()[-2:]
        bounded(trace.compare, a, None, b)


ratios = {"work": 0.0, "memory": 0.0, "peak_mb": 0.0}


def main(examples: int) -> None:
    folder = Path(tempfile.mkdtemp())
    bases = [file_bytes(t, folder) for t in base_traces()]
    work = Work()
    seen = {"loaded": 0, "refused": 0}
    # a file may take the interpreter's working set plus this much virtual memory
    vm = int(next(line.split()[1] for line in open("/proc/self/status")
                  if line.startswith("VmSize:")))  # fmt: skip
    limit = vm * 1024 + (2 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(mutated(bases))
    def each(data: bytes) -> None:
        path = folder / "f.mgtrace"
        path.write_bytes(data)
        tracemalloc.start()
        try:
            try:
                trace = mgdebug.load(path)
            except mgdebug.TraceFileError:
                seen["refused"] += 1
                return
            seen["loaded"] += 1
            read_everything(trace, folder, work, len(data))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak <= MEMORY_PER_BYTE * len(data) + MEMORY_BASE, (peak, len(data))
        ratios["memory"] = max(ratios["memory"], peak / len(data))
        ratios["peak_mb"] = max(ratios["peak_mb"], peak / 2**20)

    each()
    print(json.dumps({**seen, **ratios, "sizes": sorted(map(len, bases))}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
