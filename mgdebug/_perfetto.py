"""Export a trace as Chrome/Perfetto trace-event JSON (ui.perfetto.dev and chrome://tracing open it).

Tracks: one slice per training step, forward and backward as their own tracks
(wall-clock time as recorded), the loss as a counter. Times are microseconds
from the first step.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from ._files import write_atomically
from ._summary import StepSummary

_PID = 1
_TRACKS = {"steps": 1, "forward": 2, "backward": 3}


def perfetto_events(steps: Sequence[StepSummary]) -> list[dict]:
    """A trace's step summaries as trace events (the `traceEvents` array)."""
    events: list[dict] = [
        {
            "name": "process_name",
            "ph": "M",
            "pid": _PID,
            "args": {"name": "mgdebug trace"},
        }
    ]
    for name, tid in _TRACKS.items():
        events.append(
            {
                "name": "thread_name",
                "ph": "M",
                "pid": _PID,
                "tid": tid,
                "args": {"name": name},
            }
        )
    if not steps:
        return events
    origin = steps[0].started_ns

    def us(ns: int) -> float:
        return (ns - origin) / 1000

    for s in steps:
        end = s.ended_ns
        forward_end = s.backward_ns if s.has_backward else end
        args = {
            "nodes built": s.num_created,
            "backward visits": s.num_visits,
            "kept in full": s.kept,
        }
        if math.isfinite(s.loss):
            args["loss"] = s.loss
        events.append(
            _slice(f"step {s.index}", "steps", us(s.started_ns), us(end), args)
        )
        events.append(
            _slice(
                "forward",
                "forward",
                us(s.started_ns),
                us(forward_end),
                {"step": s.index},
            )
        )
        if s.has_backward:
            done = {"step": s.index, "completed": s.backward_completed}
            events.append(
                _slice("backward", "backward", us(s.backward_ns), us(end), done)
            )
            if math.isfinite(s.loss):
                events.append(
                    {
                        "name": "loss",
                        "ph": "C",
                        "pid": _PID,
                        "ts": us(s.backward_ns),
                        "args": {"loss": s.loss},
                    }
                )
    return events


def write_perfetto(steps: Sequence[StepSummary], path) -> None:
    doc = {"traceEvents": perfetto_events(steps), "displayTimeUnit": "ms"}
    write_atomically(path, json.dumps(doc, allow_nan=False))


def _slice(name: str, track: str, start_us: float, end_us: float, args: dict) -> dict:
    return {
        "name": name,
        "ph": "X",
        "pid": _PID,
        "tid": _TRACKS[track],
        "ts": start_us,
        "dur": max(end_us - start_us, 0.001),
        "args": args,
    }
