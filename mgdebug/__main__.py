"""`python -m mgdebug`: trace a plain script, or view a saved trace, without Jupyter.

    python -m mgdebug run [--html out.html] [--break SPEC ...] [--save run.mgtrace] train.py [ARGS...]
    python -m mgdebug view run.mgtrace [--html out.html] [--open]

Options of `run` go before the script; whatever follows the script is its own argv.
"""

from __future__ import annotations

import argparse
import runpy
import sys
import webbrowser
from pathlib import Path

from . import load, record
from ._record import DEFAULT_MAX_NODES
from ._tracefile import TraceFileError
from .breakpoints import BreakpointSpecError, parse_specs


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (FileNotFoundError, TraceFileError, BreakpointSpecError) as e:
        print(f"mgdebug: error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    script = Path(args.script)
    if not script.is_file():
        raise FileNotFoundError(f"no script at {script}")
    specs = parse_specs(args.breaks)
    html = args.html or script.with_suffix(".html")
    sys.argv = [str(script), *args.script_args]
    sys.path.insert(0, str(script.resolve().parent))
    status, trace = 0, None
    try:
        with record(max_nodes=args.max_nodes, keep_every=args.keep_every, break_on=specs,
                    on_break="pdb" if args.pdb else "record") as trace:  # fmt: skip
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as e:  # the script's own exit code, after we write the viewer
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:  # the trace keeps what ran and notes the error
        print(f"mgdebug: the script raised {type(e).__name__}: {e}", file=sys.stderr)
        status = 130 if isinstance(e, KeyboardInterrupt) else 1
    written = _write_outputs(trace, html, args.save, [b.text for b in specs], args.open)
    return status or (0 if written else 1)


def _view(args: argparse.Namespace) -> int:
    trace = load(args.trace)
    html = args.html or Path(args.trace).with_suffix(".html")
    return 0 if _write_outputs(trace, html, None, [], args.open) else 1


def _write_outputs(trace, html, save, breakpoints, open_page: bool) -> bool:
    """Print the trace, save it and write the viewer; False if a file could not be
    written (each is written whole or not at all: the old file stays)."""
    print(trace)
    if trace.error:
        print(f"  stopped by {trace.error['type']}: {trace.error['message']}")
    for notice in trace.notices:
        print(f"  note: {notice}")
    ok = True
    if save:
        try:
            trace.save(save)
            print(f"  trace saved to {save}")
        except OSError as e:
            ok = _cannot_write(save, e)
    try:
        path = Path(trace.to_html(html, breakpoints=breakpoints)).resolve()
    except OSError as e:
        return _cannot_write(html, e)
    print(f"  viewer written to {path}")
    if open_page:
        webbrowser.open(path.as_uri())
    return ok


def _cannot_write(path, e: OSError) -> bool:
    reason = e.strerror or str(e)
    print(f"mgdebug: error: could not write {path}: {reason} (a file already "
          "there is unchanged)", file=sys.stderr)  # fmt: skip
    return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mgdebug",
        description="Record micrograd computations into traces and view them as standalone HTML.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a Python script under the recorder and write the viewer",
        description="Options go before SCRIPT; everything after SCRIPT is passed to it.",
    )
    run.add_argument("script", help="the script to run (as `python script.py` would)")
    run.add_argument(
        "script_args", nargs=argparse.REMAINDER, help="arguments passed to the script"
    )
    run.add_argument(
        "--html",
        metavar="PATH",
        help="where to write the viewer (default: SCRIPT.html)",
    )
    run.add_argument(
        "--save", metavar="PATH", help="also save the trace (mgdebug.load reads it)"
    )
    run.add_argument("--break", dest="breaks", action="append", default=[], metavar="SPEC",
                     help="breakpoint spec (repeatable): nonfinite | op:NAME | scope:PATH | "
                     "LABEL or glob | grad>10 ...; hits are marked on the timeline")  # fmt: skip
    run.add_argument(
        "--pdb", action="store_true", help="open pdb at each breakpoint hit"
    )
    run.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES, metavar="N")
    run.add_argument("--keep-every", type=int, default=1, metavar="K")
    run.add_argument("--open", action="store_true", help="open the viewer in a browser")
    run.set_defaults(handler=_run)
    view = commands.add_parser(
        "view", help="write (and open) the viewer for a saved trace"
    )
    view.add_argument("trace", help="a file written by trace.save() or --save")
    view.add_argument(
        "--html", metavar="PATH", help="where to write the viewer (default: TRACE.html)"
    )
    view.add_argument(
        "--open", action="store_true", help="open the viewer in a browser"
    )
    view.set_defaults(handler=_view)
    return parser


if __name__ == "__main__":
    sys.exit(main())
