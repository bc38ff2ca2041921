"""Exports without a browser: draw_dot, the standalone HTML file, and `python -m mgdebug`."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mgdebug
from micrograd.engine import Value

HOSTILE = "</script><script>alert(1)</script>"


def small_trace(label: str = "a") -> mgdebug.Trace:
    with mgdebug.record() as trace:
        a = Value(2.0, label=label)
        b = (a * a).tanh()
        b.backward()
    return trace


# ---------------------------------------------------------------------- draw_dot


def test_draw_dot_shows_label_data_grad_and_two_edges_for_x_times_x():
    x = Value(3.0, label="x")
    y = x * x + x
    y.backward()
    dot = mgdebug.draw_dot(y)
    src = dot.source
    assert "{ x | data 3.0000 | grad 7.0000 }" in src
    x_id = str(id(x))
    assert src.count(f"{x_id} -> ") == 3  # twice into *, once into +
    assert "rankdir=LR" in src


def test_draw_dot_has_no_recursion_limit_and_refuses_huge_graphs_clearly():
    y = Value(1.0)
    for _ in range(3000):  # micrograd's recursive draw_dot died near depth 1000
        y = y * 1.0
    assert len(mgdebug.draw_dot(y, max_nodes=10_000).source) > 0
    with pytest.raises(ValueError, match="trace viewer"):
        mgdebug.draw_dot(y)


def test_draw_dot_escapes_record_syntax_in_labels():
    a = Value(1.0, label="a|b{c}<d>")
    src = mgdebug.draw_dot(a * 2).source
    assert r"a\|b\{c\}\<d\>" in src


def test_draw_dot_says_what_to_do_without_dot(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        mgdebug.draw_dot(Value(1.0) * 2)


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz's dot is installed by make setup"
)
def test_draw_dot_renders_svg_with_dot():
    svg = mgdebug.draw_dot(Value(2.0, label="a") * 3).pipe().decode()
    assert svg.lstrip().startswith("<?xml") and "data 6.0000" in svg


# ---------------------------------------------------------------------- standalone HTML


def embedded_payload(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="mgdebug-data">(.*?)</script>', page, re.S
    )
    assert match, "the data script element is there"
    return json.loads(match.group(1))


def test_html_embeds_viewer_and_data_and_keeps_hostile_labels_inert(tmp_path):
    path = small_trace(HOSTILE).to_html(tmp_path / "t.html")
    page = Path(path).read_text()
    assert HOSTILE not in page  # no raw closing tag could end the script element
    assert page.count("</script>") == 2  # only our own two script elements
    payload = embedded_payload(page)
    hello = payload["replies"]["hello"]["content"]
    assert HOSTILE in hello["strings"]["labels"]
    boot = (Path(mgdebug.__file__).parent / "static" / "standalone.js").read_text()
    assert boot.replace("</script", "<\\/script") in page  # the viewer, inlined
    assert {k for k in payload["replies"] if k.startswith("get_step")} == {"get_step:0"}
    assert hello["kind"] == "trace_meta"


def test_html_answers_match_what_the_kernel_widget_sends(tmp_path):
    trace = small_trace()
    payload = embedded_payload(Path(trace.to_html(tmp_path / "t.html")).read_text())
    step = payload["replies"]["get_step:0"]
    key = step["content"]["structure"]
    numbers, _ = mgdebug._bundle.decode(base64.b64decode(step["buffers"][0]))
    structure, _ = mgdebug._bundle.decode(base64.b64decode(payload["structures"][key]))
    assert structure["visits"].tolist() == trace.graph(0).visits.tolist()
    assert numbers["data"].tolist() == trace.graph(0).data.tolist()
    assert step["content"]["event_offset"] == 0
    assert step["content"]["structure_sent"] is False  # the page adds it when not held


def test_html_of_a_training_loop_holds_each_structure_once(tmp_path):
    with mgdebug.record() as trace:
        w = Value(0.5, label="w")
        for _ in range(20):
            loss = (w * 3.0 + 1.0).tanh() * 2.0
            loss.backward()
            w.data -= 0.1 * w.grad
    payload = embedded_payload(Path(trace.to_html(tmp_path / "t.html")).read_text())
    steps = [k for k in payload["replies"] if k.startswith("get_step:")]
    assert len(steps) == 20
    # step 0 built w; steps 1.. import it: two structures in all, each stored once
    keys = {payload["replies"][k]["content"]["structure"] for k in steps}
    assert set(payload["structures"]) == keys and len(keys) == 2


# ---------------------------------------------------------------------- python -m mgdebug

SCRIPT = """
import random
from micrograd.engine import Value
from micrograd.nn import MLP
random.seed(1)
model = MLP(2, [4, 1])
for k in range(3):
    loss = (model([Value(1.0), Value(-1.0)]) - 1) ** 2
    model.zero_grad(); loss.backward()
    for p in model.parameters(): p.data -= 0.1 * p.grad
print("final loss", loss.data)
"""


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mgdebug", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_cli_runs_a_script_and_writes_viewer_and_trace(tmp_path):
    (tmp_path / "train.py").write_text(SCRIPT)
    done = run_cli(
        "run", "--break", "op:ReLU", "--save", "run.mgtrace", "train.py", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "final loss" in done.stdout and "3 steps" in done.stdout
    assert (tmp_path / "train.html").stat().st_size > 10_000
    trace = mgdebug.load(tmp_path / "run.mgtrace")
    assert len(trace.steps) == 3
    viewed = run_cli("view", "run.mgtrace", "--html", "again.html", cwd=tmp_path)
    assert viewed.returncode == 0 and (tmp_path / "again.html").exists()


def test_cli_break_names_ops_in_any_case_and_says_when_an_op_never_hit(tmp_path):
    (tmp_path / "train.py").write_text(SCRIPT)
    args = ["run", "--break", "op:relu", "--break", "op:sigmoid", "--save", "t.mgtrace"]
    done = run_cli(*args, "train.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    note = "note: breakpoint 'op:sigmoid' names no op of this trace"
    assert note in done.stdout and "its ops are: *, **2, +, ReLU" in done.stdout
    assert "BreakpointWarning: breakpoint 'op:sigmoid' names no op" in done.stderr
    trace = mgdebug.load(tmp_path / "t.mgtrace")
    assert trace.hits and trace.hits == [
        h for h in trace.hits if "breakpoint op:relu hit" in h["reason"]
    ]
    payload = embedded_payload((tmp_path / "train.html").read_text())
    hits = payload["replies"]["get_hits"]["content"]
    assert len(hits["hits"]) == len(trace.hits)  # the page shows op:relu's hits
    assert hits["problems"]["op:sigmoid"].startswith("'op:sigmoid' names no op")


def test_cli_passes_the_scripts_exit_code_and_keeps_the_trace_of_a_failing_script(
    tmp_path,
):
    (tmp_path / "bad.py").write_text(
        "from micrograd.engine import Value\nx = Value(1.0) * 2\nraise SystemExit(3)\n"
    )
    done = run_cli("run", "bad.py", cwd=tmp_path)
    assert done.returncode == 3 and (tmp_path / "bad.html").exists()
    (tmp_path / "boom.py").write_text(
        "from micrograd.engine import Value\nValue(-1.0).log()\n"
    )
    done = run_cli("run", "boom.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "ValueError" in done.stderr and "stopped by ValueError" in done.stdout


def test_cli_clean_exit_is_not_an_error(tmp_path):
    (tmp_path / "done.py").write_text(
        "from micrograd.engine import Value\nx = Value(1.0) * 2\nraise SystemExit(0)\n"
    )
    done = run_cli("run", "done.py", cwd=tmp_path)
    assert done.returncode == 0 and "stopped by" not in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("run", "missing.py"), "no script at missing.py"),
        (("view", "missing.mgtrace"), "no trace file at missing.mgtrace"),
        (("run", "--break", "grad>>", "x.py"), "not a breakpoint spec"),
    ],
)
def test_cli_errors_are_clear(tmp_path, args, message):
    (tmp_path / "x.py").write_text("")
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr


def test_cli_rejects_a_file_that_is_not_a_trace(tmp_path):
    (tmp_path / "fake.mgtrace").write_text("hello")
    done = run_cli("view", "fake.mgtrace", cwd=tmp_path)
    assert done.returncode == 2 and "not an mgdebug trace" in done.stderr


def test_cli_help_explains_both_commands(tmp_path):
    done = run_cli("--help", cwd=tmp_path)
    assert done.returncode == 0 and "run" in done.stdout and "view" in done.stdout
    run_help = run_cli("run", "--help", cwd=tmp_path).stdout
    assert "everything after SCRIPT is passed to it" in run_help
