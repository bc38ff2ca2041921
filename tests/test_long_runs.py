"""A long run of small steps: every path that walks the steps does work linear in them.

Work is counted, not timed: the Python and C function calls a path makes
(cProfile's count, the same on a busy machine as on an idle one). A path that
does per-step work once per step makes 4x the steps cost 16x the calls; a
linear one, about 4x. Work hidden inside one C call (a list of every step
turned into an array for each step's answer) is caught by its caller instead:
the trace's methods that return something per step (`kept_steps`,
`event_offsets`) are called as often for 2,000 steps as for 500. Wall time for
20k steps: bench/steps_bench.py.
"""

from __future__ import annotations

import cProfile
import pstats

import pytest

import mgdebug
from mgdebug import protocol
from micrograd import Value


def tiny_steps(steps: int, tmp_path) -> mgdebug.Trace:
    w = Value(0.5, label="w")
    with mgdebug.record() as trace:
        for k in range(steps):
            (w * float(k) + 1.0).tanh().backward()
    trace.save(tmp_path / f"{steps}.mgtrace")
    return mgdebug.load(tmp_path / f"{steps}.mgtrace")  # nothing cached yet


def open_viewer(trace, tmp_path):
    last = len(trace.steps) - 1
    for request in ({"kind": "hello"}, {"kind": "get_step", "step": last},
                    {"kind": "get_params"}, {"kind": "get_hits"},
                    {"kind": "get_anomaly"}):  # fmt: skip
        protocol.answer(trace, {**request, "id": 1}, breakpoints=["grad>0.1"])


def pause_at_every_tenth_step(trace, tmp_path):
    for step in range(0, len(trace.steps), 10):
        shown = trace.with_step(trace.steps[step], trace.graph(step))
        protocol.trace_meta(shown, recording=True)


PATHS = {
    "open the viewer (meta, step, params, hits, anomaly)": open_viewer,
    "replay hits of a label glob and an op": lambda t, p: t.breakpoint_hits(
        ["w*", "op:tanh"]
    ),
    "the standalone page": lambda t, p: t.to_html(p / "t.html"),
    "save": lambda t, p: t.save(p / "again.mgtrace"),
    "load": lambda t, p: mgdebug.load(p / f"{len(t.steps)}.mgtrace"),
}


WHOLE_TRACE = ("kept_steps", "event_offsets")  # each returns one thing per step


def calls(path, trace, tmp_path) -> tuple[int, dict[str, int]]:
    """All calls `path` makes, and how many of them ask for something per step."""
    profile = cProfile.Profile()
    profile.runcall(path, trace, tmp_path)
    stats = pstats.Stats(profile)
    per_step = {name: 0 for name in WHOLE_TRACE}
    for (_, _, function), (_, count, *_) in stats.stats.items():
        if function in per_step:
            per_step[function] += count
    return stats.total_calls, per_step


@pytest.mark.parametrize("name", list(PATHS))
def test_work_grows_linearly_with_the_number_of_steps(name, tmp_path):
    small, large = tiny_steps(500, tmp_path), tiny_steps(2000, tmp_path)
    path = PATHS[name]
    (few, per_step_few), (many, per_step_many) = (
        calls(path, small, tmp_path),
        calls(path, large, tmp_path),
    )
    assert many / few < 5, f"{name}: 4x the steps cost {many / few:.1f}x the calls"
    assert per_step_many == per_step_few  # never once per step


def test_progress_while_recording_costs_work_per_new_step_only(tmp_path):
    """The viewer hears progress ten times a second through a run of any length:
    each message counts only the steps that closed since the last one."""
    from mgdebug.widget import TraceViewer

    def progress_of(steps: int) -> int:
        trace = tiny_steps(steps, tmp_path)
        viewer = TraceViewer(mgdebug.Trace(), recording=True)
        viewer.trace = trace  # as if recorded so far, then one more step closes
        viewer.report_progress(force=True)
        trace.add_step(trace.steps[-1], None, permanent=False)
        profile = cProfile.Profile()
        profile.runcall(viewer.report_progress, force=True)
        assert viewer.status["nodes"] == sum(s.num_created for s in trace.steps)
        return pstats.Stats(profile).total_calls

    assert progress_of(2000) == progress_of(500)


def test_progress_counts_the_nodes_of_a_long_step_while_it_builds():
    """One big step (a long chain, a whole dataset in one loss) counts up in the
    viewer's progress line before its backward, not only when the step closes."""
    from mgdebug._record import recording
    from mgdebug.widget import TraceViewer

    trace = mgdebug.Trace()
    viewer = TraceViewer(trace, recording=True)
    heard = []
    viewer.send = lambda message, buffers=None: heard.append(message)
    with recording(
        trace, on_step=viewer.report_step_closed, on_building=viewer.report_building
    ):
        y = Value(1.0)
        for _ in range(5000):
            y = y * 1.0001
        building = viewer.status["nodes"]
        assert viewer.status["steps"] == 0 and building >= 1024
        assert heard[-1]["kind"] == "progress" and heard[-1]["nodes"] == building
        y.backward()
        viewer.report_progress(force=True)  # the step closed: counted once, as closed
        assert trace.steps[0].num_created == 10_001  # a Value per constant, too
        assert (viewer.status["steps"], viewer.status["nodes"]) == (1, 10_001)


def test_pausing_costs_work_linear_in_the_steps(tmp_path):
    """A pause shows the trace with the step so far: its meta, once per pause."""
    small, large = tiny_steps(500, tmp_path), tiny_steps(2000, tmp_path)
    (few, per_step_few) = calls(pause_at_every_tenth_step, small, tmp_path)
    (many, per_step_many) = calls(pause_at_every_tenth_step, large, tmp_path)
    assert (many / 200) / (few / 50) < 5  # each pause: work linear in the steps
    for name in WHOLE_TRACE:  # ... and a constant number of whole-trace answers
        assert per_step_many[name] / 200 == per_step_few[name] / 50
