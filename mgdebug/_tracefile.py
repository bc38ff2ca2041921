"""Save and load traces: `MGTRACE\\0`, one binary bundle (`_bundle.py`), a CRC-32. No pickle.

Everything read is checked: the checksum first (a truncated or bit-flipped file),
then types, lengths and every index against its table (a file crafted to pass
the checksum), so a bad file raises TraceFileError and nothing else. The graph
sections and their checks are in `_filegraphs.py`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import _bundle
from ._filegraphs import graph_sections, read_graphs, read_graphs_v1
from ._files import write_atomically
from ._strings import StringTable
from ._summary import StepSummary

if TYPE_CHECKING:
    from .trace import Trace

MAGIC = b"MGTRACE\0"
# 1: a full set of columns per kept step; 2: structures shared between steps
FORMAT_VERSION = 2
_PARAM_FIELDS = ("param_entity", "param_value", "param_grad")
_SUMMARY_FIELDS = {
    f.name
    for f in fields(StepSummary)
    if f.name not in _PARAM_FIELDS and f.name != "loss"
}


class TraceFileError(ValueError):
    """A trace file that cannot be read: says which file and what is wrong."""


def write(trace: Trace, path) -> None:
    """Save `trace` to `path` (all or nothing: a failed write leaves the old file)."""
    columns: dict[str, np.ndarray] = {}
    counts = [len(s.param_entity) for s in trace.steps]
    columns["param_ptr"] = np.concatenate(
        [[0], np.cumsum(counts, dtype=np.int64)]
    ).astype("<i8")
    columns["step_loss"] = np.asarray([s.loss for s in trace.steps], dtype="<f8")
    for name, dtype in zip(_PARAM_FIELDS, ("<i8", "<f8", "<f8")):
        columns[name] = np.asarray(
            [x for s in trace.steps for x in getattr(s, name)], dtype=dtype
        )
    graph_columns, structures, graphs = graph_sections(trace)
    columns.update(graph_columns)
    meta = {
        "format": "mgtrace",
        "version": FORMAT_VERSION,
        "strings": trace.strings.as_lists(),
        "steps": [_summary_meta(s) for s in trace.steps],
        "structures": structures,
        "graphs": graphs,
        "notices": trace.notices,
        "error": trace.error,
        "hits": trace.hits,
        "entity_names": [[e, n] for e, n in trace.entity_names().items()],
    }
    data = MAGIC + _bundle.encode(columns, meta)
    write_atomically(path, data + struct.pack("<I", zlib.crc32(data)))


def read_into(trace: Trace, path) -> None:
    """Fill an empty `trace` from the file at `path`; a bad file raises TraceFileError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no trace file at {path}")
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise TraceFileError(
            f"{path} is not an mgdebug trace (it does not start with {MAGIC!r})"
        )
    body = memoryview(data)[: len(data) - 4]
    if (
        len(data) < len(MAGIC) + 4
        or zlib.crc32(body) != struct.unpack("<I", data[-4:])[0]
    ):
        raise TraceFileError(
            f"{path} is truncated or corrupted: its CRC-32 does not match ({len(data):,} bytes)"
        )
    try:
        columns, meta = _bundle.decode(body[len(MAGIC) :])
        _build(trace, columns, meta)
    except KeyError as e:
        raise TraceFileError(
            f"{path} is damaged or not a trace: it lacks {e}"
        ) from None
    # OverflowError: int() of an Infinity in the header; RecursionError: nesting
    except (ValueError, TypeError, IndexError, OverflowError, RecursionError) as e:
        raise TraceFileError(
            f"{path} is damaged or not a trace this version can read: {e}"
        ) from None


def _build(trace: Trace, columns: dict[str, np.ndarray], meta: dict) -> None:
    if not isinstance(meta, dict) or meta.get("format") != "mgtrace":
        raise ValueError("the header does not describe an mgtrace")
    for name in ("ops", "scopes", "labels", "files"):
        items = meta["strings"][name]
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise ValueError(f"string table {name!r} must be a list of strings")
        setattr(trace.strings, name, StringTable(items))
    ptr = columns["param_ptr"]
    steps = meta["steps"]
    if not isinstance(steps, list) or len(columns["step_loss"]) != len(steps):
        raise ValueError("step_loss does not match the step list")
    if len(ptr) != len(steps) + 1 or ptr[0] != 0:
        raise ValueError("param_ptr does not match the step list")
    if np.any(np.diff(ptr) < 0) or ptr[-1] != len(columns["param_entity"]):
        raise ValueError("param_ptr is not a valid set of offsets")
    if not len(columns["param_value"]) == len(columns["param_grad"]) == ptr[-1]:
        raise ValueError("parameter columns differ in length")
    limits = {
        name: len(getattr(trace.strings, name))
        for name in ("ops", "scopes", "labels", "files")
    }
    version = meta.get("version", 1)
    if version == 1:  # one full set of columns per kept step, no sharing
        graphs = read_graphs_v1(columns, meta, limits)
    elif version == FORMAT_VERSION:
        graphs = read_graphs(columns, meta, limits)
    else:
        raise ValueError(
            f"it is format version {version!r}; this mgdebug reads versions 1 and "
            f"{FORMAT_VERSION} (a newer mgdebug wrote it? upgrade to read it)"
        )
    if set(graphs) - set(range(len(steps))):
        raise ValueError("a graph belongs to no step")
    for i, raw in enumerate(steps):
        summary = _summary_from_meta(raw, i, float(columns["step_loss"][i]))
        lo, hi = int(ptr[i]), int(ptr[i + 1])
        summary.param_entity = columns["param_entity"][lo:hi].tolist()
        summary.param_value = columns["param_value"][lo:hi].tolist()
        summary.param_grad = columns["param_grad"][lo:hi].tolist()
        graph = graphs.get(i)
        if graph is not None and summary.num_created != graph.n_created:
            raise ValueError(f"step {i}: summary and graph disagree on node count")
        if (
            graph is not None
            and summary.has_backward
            and summary.num_visits != graph.num_visits
        ):
            raise ValueError(f"step {i}: summary and graph disagree on the visit count")
        trace.add_step(summary, graph, permanent=summary.kept)
    trace.notices = [str(n) for n in meta.get("notices", [])]
    error = meta.get("error")
    trace.error = (
        {"type": str(error["type"]), "message": str(error["message"])}
        if error
        else None
    )
    for entity, name in meta.get("entity_names", []):
        trace.name_entity(int(entity), str(name))
    trace.hits = [
        {"event": int(h["event"]), "reason": str(h["reason"]), "step": int(h["step"])}
        for h in meta.get("hits", [])
    ]


def _summary_meta(s: StepSummary) -> dict:
    d = asdict(s)
    for name in (*_PARAM_FIELDS, "loss"):  # these travel as columns (JSON has no NaN)
        d.pop(name)
    return d


def _summary_from_meta(raw: dict, i: int, loss: float) -> StepSummary:
    if not isinstance(raw, dict) or set(raw) != _SUMMARY_FIELDS:
        raise ValueError(f"step {i} summary has the wrong fields")
    values = dict(raw, loss=loss)
    for name in (
        "index",
        "num_created",
        "num_visits",
        "started_ns",
        "backward_ns",
        "ended_ns",
    ):
        if not isinstance(raw[name], int) or raw[name] < 0:
            raise ValueError(f"step {i}: {name} must be a non-negative int")
    if raw["index"] != i:
        raise ValueError(f"step {i} is stored out of order")
    for name in ("has_backward", "backward_completed", "kept"):
        if not isinstance(raw[name], bool):
            raise ValueError(f"step {i}: {name} must be true or false")
    return StepSummary(**values, param_entity=[], param_value=[], param_grad=[])
