"""Mutated trace files (the CRC recomputed) are refused, or load into bounded work and memory.

The fuzzing itself is tests/tracefile_fuzz.py (hypothesis, derandomized: the
same examples every run); it runs in a subprocess under RLIMIT_AS so that a file
that eats memory fails this test rather than the machine. Bounds are counted
(edges replayed per reader, tracemalloc's peak), never timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tracefile_fuzz

EXAMPLES = 300


def test_mutated_trace_files_are_refused_or_read_within_bounded_work_and_memory():
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("tracefile_fuzz.py")),
         str(EXAMPLES)], capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # both outcomes are explored: valid files with odd numbers, and broken ones
    assert seen["loaded"] >= EXAMPLES // 5 and seen["refused"] >= EXAMPLES // 5, seen
    assert seen["work"] <= tracefile_fuzz.WORK_PER_BYTE
    assert max(seen["sizes"]) > 50_000  # a file where per-byte costs dominate
