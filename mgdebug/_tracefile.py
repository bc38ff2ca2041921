"""Save and load traces: `MGTRACE\\0`, one binary bundle (`_bundle.py`), a CRC-32. No pickle.

Everything read is checked: the checksum first (a truncated or bit-flipped file),
then types, lengths and every index against its table (a file crafted to pass
the checksum), so a bad file raises TraceFileError and nothing else. Steps and
the header's fields are in `_filesteps.py`, the graph sections in
`_filegraphs.py`; docs/trace-format.md says what a file holds.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import _bundle
from ._filegraphs import (
    GRAPH_COLUMNS,
    graph_rows,
    graph_sections,
    read_graphs,
    read_graphs_v1,
    split_sections,
)
from ._files import write_atomically
from ._filesteps import (
    PARAM_COLUMNS,
    STEP_COLUMNS,
    read_extras,
    read_steps,
    read_strings,
    step_columns,
)

if TYPE_CHECKING:
    from .trace import Trace

MAGIC = b"MGTRACE\0"
# 1: a full set of columns per kept step; 2: structures shared between steps;
# 3: step summaries and graph rows as columns, not in the JSON header
FORMAT_VERSION = 3
# the top-level columns of each version (the rest are sections: `s0.op`, `g3.data`)
_TOP = {
    1: {"step_loss": "<f8", **PARAM_COLUMNS},
    2: {"step_loss": "<f8", **PARAM_COLUMNS},
    3: {**STEP_COLUMNS, **PARAM_COLUMNS, **GRAPH_COLUMNS},
}


class TraceFileError(ValueError):
    """A trace file that cannot be read: says which file and what is wrong."""


def write(trace: Trace, path) -> None:
    """Save `trace` to `path` (all or nothing: a failed write leaves the old file)."""
    columns = step_columns(trace.steps)
    columns.update(graph_sections(trace))
    meta = {
        "format": "mgtrace",
        "version": FORMAT_VERSION,
        "strings": trace.strings.as_lists(),
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
    version = meta.get("version", 1)
    if type(version) is not int or version not in _TOP:
        raise ValueError(
            f"it is format version {version!r:.20}; this mgdebug reads versions 1 to "
            f"{FORMAT_VERSION} (a newer mgdebug wrote it? upgrade to read it)"
        )
    top, sections = split_sections(columns)
    expected = _TOP[version]
    if set(top) != set(expected):
        missing, extra = set(expected) - set(top), set(top) - set(expected)
        raise ValueError(f"columns missing {sorted(missing)}, unknown {sorted(extra)}")
    for name, code in expected.items():
        if top[name].dtype != np.dtype(code):
            raise ValueError(f"column {name} has dtype {top[name].dtype}, not {code}")
    trace.strings = read_strings(meta)
    limits = {name: len(getattr(trace.strings, name)) for name in trace.strings.NAMES}
    steps = read_steps(top, meta, version)
    if version == 1:  # one full set of columns per kept step, no sharing
        graphs = read_graphs_v1(sections, meta, limits)
    else:
        graphs = read_graphs(sections, graph_rows(top, meta, version), limits, version)
    _check_kept(steps, graphs, version)
    for summary in steps:
        trace.add_step(summary, graphs.get(summary.index), permanent=summary.kept)
    read_extras(trace, meta)


def _check_kept(steps: list, graphs: dict, version: int) -> None:
    """Graphs of steps that exist, each matching its summary; kept ones have one.

    A trace holds its kept steps' graphs and, past its caps, the latest step's:
    at most one graph of a step not kept, after every kept one. (mgdebug 0.1.0
    also wrote an older latest step's graph: format 1 may hold more; adding the
    steps drops them.)
    """
    if set(graphs) - set(range(len(steps))):
        raise ValueError("a graph belongs to no step")
    latest = [step for step in graphs if not steps[step].kept]
    if version > 1 and (len(latest) > 1 or (latest and latest[0] != max(graphs))):
        raise ValueError("graphs of steps not kept, other than the latest")
    for s in steps:
        graph = graphs.get(s.index)
        if graph is None:
            if s.kept:
                raise ValueError(f"step {s.index} is kept but has no graph")
            continue
        i, visits = s.index, len(graph.structure.columns["visits"])
        if s.num_created != graph.n_created:
            raise ValueError(f"step {i}: summary and graph disagree on node count")
        if s.num_visits != graph.num_visits:  # (0 for a step without backward)
            raise ValueError(f"step {i}: summary and graph disagree on the visit count")
        if s.backward_completed and graph.num_visits != visits:
            raise ValueError(f"step {i}: a completed backward that skipped visits")
