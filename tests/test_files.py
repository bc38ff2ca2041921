"""Nothing lost: a write that fails (disk full, a file size limit) leaves the old file whole.

Every file mgdebug writes goes through `mgdebug/_files.py` (a temporary file in
the same folder, then a rename): `Trace.save`, `to_html`, `to_perfetto`, and so
the magic's `--save`/`--html` and `python -m mgdebug run`. The failure is real:
a subprocess lowers RLIMIT_FSIZE to the old file's size + 1000 bytes, then
writes a bigger trace to the same path (Python ignores SIGXFSZ, so the write
fails with EFBIG).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap

import pytest

import mgdebug

# records `steps` small training steps, then (under the limit) writes them with
# `what` ('save', 'to_html' or 'to_perfetto') to `path`
WRITER = textwrap.dedent(
    """
    import resource, sys
    import mgdebug
    from micrograd import Value

    what, path, steps, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    w = Value(0.5, label="w")
    with mgdebug.record() as trace:
        for k in range(steps):
            (w * float(k) + 1.0).tanh().backward()
    if limit:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    getattr(trace, what)(path)
    """
)


def write_in_subprocess(tmp_path, what, path, steps, limit=0):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.run(
        [sys.executable, str(script), what, str(path), str(steps), str(limit)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def only_files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("what", ["save", "to_html", "to_perfetto"])
def test_a_write_past_the_file_size_limit_leaves_the_old_file_whole(tmp_path, what):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "run.file"
    assert write_in_subprocess(tmp_path, what, path, 2).returncode == 0
    old = path.read_bytes()
    bigger = write_in_subprocess(tmp_path, what, out / "big.file", 300)
    assert (
        bigger.returncode == 0 and (out / "big.file").stat().st_size > len(old) + 1000
    )
    (out / "big.file").unlink()

    failed = write_in_subprocess(tmp_path, what, path, 300, limit=len(old) + 1000)
    assert failed.returncode != 0 and "File too large" in failed.stderr
    assert path.read_bytes() == old  # not truncated, not half written
    assert only_files(out) == ["run.file"]  # and no temporary file left behind
    if what == "save":
        assert len(mgdebug.load(path).steps) == 2


def set_file_size_limit(limit: int):
    def limit_this_process():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return limit_this_process


TRAIN = textwrap.dedent(
    """
    import sys
    from micrograd import Value
    w = Value(0.5, label="w")
    for k in range(int(sys.argv[1])):
        (w * float(k) + 1.0).tanh().backward()
    print("trained")
    """
)


def test_cli_run_that_cannot_write_keeps_the_old_files_and_says_so(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    args = ["run", "--save", "run.mgtrace", "--html", "run.html", "train.py"]

    def cli(steps, limit=None):
        return subprocess.run(
            [sys.executable, "-m", "mgdebug", *args, str(steps)], cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
            preexec_fn=None if limit is None else set_file_size_limit(limit),
        )  # fmt: skip

    assert cli(2).returncode == 0  # then 3,000 steps: both files outgrow the limit
    old = {name: (tmp_path / name).read_bytes() for name in ("run.mgtrace", "run.html")}
    done = cli(3000, limit=max(map(len, old.values())) + 1000)
    assert "trained" in done.stdout  # the script ran; only writing failed
    assert done.returncode == 1
    for name, content in old.items():
        assert f"mgdebug: error: could not write {name}" in done.stderr
        assert (tmp_path / name).read_bytes() == content
    assert "File too large" in done.stderr and "Traceback" not in done.stderr
    assert only_files(tmp_path) == ["run.html", "run.mgtrace", "train.py"]
    assert len(mgdebug.load(tmp_path / "run.mgtrace").steps) == 2


MAGIC = textwrap.dedent(
    """
    import sys
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mgdebug")
    steps = int(sys.argv[1])
    if len(sys.argv) > 2:
        import resource
        limit = int(sys.argv[2])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    shell.run_cell_magic(
        "mgtrace", "--no-widget --save run.mgtrace --html run.html",
        "from micrograd import Value\\n"
        "w = Value(0.5, label='w')\\n"
        f"for k in range({steps}):\\n"
        "    (w * float(k) + 1.0).tanh().backward()\\n",
    )
    """
)


def test_magic_save_and_html_that_cannot_write_keep_the_old_files(tmp_path):
    (tmp_path / "magic.py").write_text(MAGIC)

    def cell(*args):
        return subprocess.run(
            [sys.executable, "magic.py", *map(str, args)], cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")},
        )  # fmt: skip

    assert cell(2).returncode == 0
    old = {name: (tmp_path / name).read_bytes() for name in ("run.mgtrace", "run.html")}
    failed = cell(3000, max(map(len, old.values())) + 1000)
    assert failed.returncode != 0 and "File too large" in failed.stderr
    for name, content in old.items():
        assert (tmp_path / name).read_bytes() == content
    assert len(mgdebug.load(tmp_path / "run.mgtrace").steps) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def tiny_trace():
    from micrograd import Value

    w = Value(0.5, label="w")
    with mgdebug.record() as trace:
        (w * 2.0).backward()
    return trace


def test_an_interrupt_while_writing_leaves_the_old_file_and_no_temporary(
    tmp_path, monkeypatch
):
    path = tmp_path / "t.mgtrace"
    tiny_trace().save(path)
    old = path.read_bytes()

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tiny_trace().to_html(path)
    assert path.read_bytes() == old and only_files(tmp_path) == ["t.mgtrace"]


def test_a_saved_file_has_the_usual_permissions_or_keeps_the_old_ones(tmp_path):
    umask = os.umask(0o022)
    try:
        tiny_trace().save(tmp_path / "new.mgtrace")
        (tmp_path / "plain").write_bytes(b"")  # what open() gives under this umask
        assert (tmp_path / "new.mgtrace").stat().st_mode == (
            tmp_path / "plain"
        ).stat().st_mode
        os.chmod(tmp_path / "new.mgtrace", 0o640)
        tiny_trace().to_html(tmp_path / "new.mgtrace")
        assert (tmp_path / "new.mgtrace").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "t.mgtrace"
    tiny_trace().save(target)
    link = tmp_path / "link.mgtrace"
    link.symlink_to(target)
    tiny_trace().to_html(link)
    assert link.is_symlink() and target.read_bytes().startswith(b"<!doctype html>")
