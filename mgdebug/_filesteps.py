"""A trace file's steps (summaries and parameters, as columns) and its header's other fields.

Format 3 (docs/trace-format.md, "Trace files") keeps one row per step in
columns, so a header stays small however long the run (a JSON summary per step
took ~190 bytes: past ~60k steps the header outgrew what a reader accepts).
Formats 1 and 2 kept the summaries in the header; they are read into the same
table and checked the same way. Every field is checked for type and range, so a
file crafted to pass the CRC is refused here rather than failing later.
"""

from __future__ import annotations

from array import array
from dataclasses import fields
from typing import Any

import numpy as np

from ._strings import Strings, StringTable
from ._summary import StepSummary

STEP_COLUMNS = {
    "step_loss": "<f8", "step_flags": "<u1", "step_num_created": "<i8",
    "step_num_visits": "<i8", "step_started_ns": "<i8", "step_backward_ns": "<i8",
    "step_ended_ns": "<i8",
}  # fmt: skip
PARAM_COLUMNS = {
    "param_ptr": "<i8", "param_entity": "<i8", "param_value": "<f8", "param_grad": "<f8"
}  # fmt: skip
HAS_BACKWARD, COMPLETED, KEPT = 1, 2, 4  # step_flags bits
# nodes or visits of one step, and events of a whole trace: the viewer counts events
# in JavaScript numbers, exact up to 2**53
MAX_STEP_COUNT, MAX_EVENTS = 1 << 48, 1 << 53
_COUNTS = ("num_created", "num_visits", "started_ns", "backward_ns", "ended_ns")
_FLAGS = {"has_backward": HAS_BACKWARD, "backward_completed": COMPLETED, "kept": KEPT}
_META_FIELDS = {f.name for f in fields(StepSummary)} - {
    "loss", "param_entity", "param_value", "param_grad"
}  # fmt: skip


# ---------------------------------------------------------------------- writing


def step_columns(steps: list[StepSummary]) -> dict[str, np.ndarray]:
    """Every step's summary and parameters as the columns of format 3."""
    flags = [
        sum(bit for name, bit in _FLAGS.items() if getattr(s, name)) for s in steps
    ]
    columns = {"step_loss": [s.loss for s in steps], "step_flags": flags}
    for name in _COUNTS:
        columns[f"step_{name}"] = [getattr(s, name) for s in steps]
    counts = [len(s.param_entity) for s in steps]
    columns["param_ptr"] = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    for name in ("param_entity", "param_value", "param_grad"):
        columns[name] = [x for s in steps for x in getattr(s, name)]
    dtypes = {**STEP_COLUMNS, **PARAM_COLUMNS}
    return {name: np.asarray(c, dtype=dtypes[name]) for name, c in columns.items()}


# ---------------------------------------------------------------------- reading


def read_steps(top: dict[str, np.ndarray], meta: dict, version: int) -> list:
    """The step summaries, parameters filled in, each field checked."""
    if version >= 3:
        table = {name: top[name] for name in STEP_COLUMNS}
    else:  # the summaries in the header, the losses in a column
        table = _table_from_meta(meta["steps"], top["step_loss"])
    n = len(table["step_loss"])
    if any(len(c) != n for c in table.values()):
        raise ValueError("the step columns differ in length")
    flags = table["step_flags"].astype(np.int64)
    has_backward = (flags & HAS_BACKWARD) != 0
    if np.any(flags > 7) or np.any((flags & COMPLETED != 0) & ~has_backward):
        raise ValueError("a step's flags are not a valid set (completed, no backward?)")
    for name in _COUNTS:
        if np.any(table[f"step_{name}"] < 0):
            raise ValueError(f"a step's {name} is negative")
    for name in ("num_created", "num_visits"):
        if np.any(table[f"step_{name}"] >= MAX_STEP_COUNT):
            raise ValueError(f"a step's {name} is past {MAX_STEP_COUNT:,}")
    if np.any(~has_backward & (table["step_num_visits"] != 0)):
        raise ValueError("a step without a backward counts visits")
    events = table["step_num_created"] + np.where(
        has_backward, 1 + table["step_num_visits"], 0
    )
    if int(events.sum()) >= MAX_EVENTS:
        raise ValueError(f"the steps hold {int(events.sum()):,} events, past 2**53")
    ptr = _param_ptr(top, n)
    rows = {name: table[name].tolist() for name in table}
    summaries = []
    for i in range(n):
        lo, hi = int(ptr[i]), int(ptr[i + 1])
        summaries.append(StepSummary(
            index=i, loss=rows["step_loss"][i],
            **{name: bool(rows["step_flags"][i] & bit) for name, bit in _FLAGS.items()},
            **{name: rows[f"step_{name}"][i] for name in _COUNTS},
            param_entity=_native("q", top["param_entity"][lo:hi]),
            param_value=_native("d", top["param_value"][lo:hi]),
            param_grad=_native("d", top["param_grad"][lo:hi]),
        ))  # fmt: skip
    return summaries


def _param_ptr(top: dict[str, np.ndarray], n: int) -> np.ndarray:
    ptr = top["param_ptr"]
    if len(ptr) != n + 1 or ptr[0] != 0:
        raise ValueError("param_ptr does not match the step list")
    if np.any(np.diff(ptr) < 0) or ptr[-1] != len(top["param_entity"]):
        raise ValueError("param_ptr is not a valid set of offsets")
    if not len(top["param_value"]) == len(top["param_grad"]) == ptr[-1]:
        raise ValueError("parameter columns differ in length")
    return ptr


def _table_from_meta(steps: Any, loss: np.ndarray) -> dict[str, np.ndarray]:
    """Formats 1 and 2: a JSON object per step, read into format 3's columns."""
    if not isinstance(steps, list) or len(steps) != len(loss):
        raise ValueError("step_loss does not match the step list")
    for i, raw in enumerate(steps):
        if not isinstance(raw, dict) or set(raw) != _META_FIELDS:
            raise ValueError(f"step {i} summary has the wrong fields")
        if raw["index"] != i:
            raise ValueError(f"step {i} is stored out of order")
        for name in _COUNTS:
            if not _is_int(raw[name]) or not 0 <= raw[name] < 1 << 63:
                raise ValueError(f"step {i}: {name} must be a non-negative int")
        for name in _FLAGS:
            if not isinstance(raw[name], bool):
                raise ValueError(f"step {i}: {name} must be true or false")
    table = {"step_loss": loss}
    table["step_flags"] = np.array(
        [sum(bit for name, bit in _FLAGS.items() if raw[name]) for raw in steps],
        dtype=np.uint8,
    )
    for name in _COUNTS:
        table[f"step_{name}"] = np.array([raw[name] for raw in steps], dtype=np.int64)
    return table


def read_strings(meta: dict) -> Strings:
    """The string tables: lists of distinct strings, '' first, each valid UTF-8."""
    strings = Strings()
    tables = meta["strings"]
    if not isinstance(tables, dict):
        raise ValueError("'strings' must be an object of string tables")
    for name in Strings.NAMES:
        items = tables[name]
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise ValueError(f"string table {name!r} must be a list of strings")
        if len(set(items)) != len(items):
            raise ValueError(f"string table {name!r} holds a string twice")
        if not all(s.isascii() or _utf8(s) for s in items):
            raise ValueError(f"string table {name!r} holds text UTF-8 cannot encode")
        setattr(strings, name, StringTable(items))
    return strings


def read_extras(trace, meta: dict) -> None:
    """Notices, the error, parameter names and the hits noted while recording."""
    notices = meta.get("notices", [])
    if not isinstance(notices, list) or not all(isinstance(n, str) for n in notices):
        raise ValueError("'notices' must be a list of strings")
    trace.notices = list(notices)
    error = meta.get("error")
    if error is not None and not _strs(error, ("type", "message")):
        raise ValueError("'error' must be null or {'type': str, 'message': str}")
    trace.error = dict(error) if error else None
    names = meta.get("entity_names", [])
    if not isinstance(names, list):
        raise ValueError("'entity_names' must be a list of [entity, name] pairs")
    for pair in names:
        if not (isinstance(pair, list) and len(pair) == 2 and _is_int(pair[0])
                and 0 <= pair[0] < 1 << 63 and isinstance(pair[1], str)):  # fmt: skip
            raise ValueError(f"entity name {pair!r:.60} is not an [entity, name] pair")
        trace.name_entity(pair[0], pair[1])
    hits = meta.get("hits", [])
    if not isinstance(hits, list):
        raise ValueError("'hits' must be a list")
    offsets = trace.event_offsets.tolist()
    for hit in hits:
        if not (isinstance(hit, dict) and set(hit) == {"event", "reason", "step"}
                and isinstance(hit["reason"], str) and _is_int(hit["step"])
                and _is_int(hit["event"]) and 0 <= hit["step"] < len(trace.steps)
                and offsets[hit["step"]] <= hit["event"] < offsets[hit["step"] + 1]):  # fmt: skip
            raise ValueError(f"hit {hit!r:.80} is not an event of its step")
    trace.hits = [dict(h) for h in hits]


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _strs(x: Any, keys: tuple[str, ...]) -> bool:
    return (
        isinstance(x, dict)
        and set(x) == set(keys)
        and all(isinstance(x[k], str) for k in keys)
    )


def _utf8(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _native(code: str, column: np.ndarray) -> array:
    """A file column's slice as the array StepSummary holds (native byte order)."""
    dtype = np.int64 if code == "q" else np.float64
    return array(code, column.astype(dtype).tobytes())
