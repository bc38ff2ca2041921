"""Workloads timed by bench/engine_vs_micrograd.py, run in a fresh process per engine.

Usage: python bench/workloads.py ENGINE_DIR WORKLOAD [--no-gc] [--data moons.json] ...
Imports `micrograd` from ENGINE_DIR (ours or karpathy's 0.1.0) and prints one JSON
line of measurements. Only the `demo-np` workload imports numpy (to feed the model
numpy scalars, as the published demo does); everything else runs in a lean process
where only the engine differs.

Workloads:
  demo      one step of micrograd's published demo (forward, backward, SGD update) on
            the moons data as plain Python floats and ints
  demo-np   the same step with X and y as numpy arrays, exactly as the published demo
            feeds them (micrograd 0.1.0 then keeps numpy float64 scalars as `data`)
  chain     forward ops/s and backward op-nodes/s on one long chain `y = y*k + 0`
  bytes     bytes allocated per live Value (tracemalloc), on a 400,000-Value graph
            (--attribute: with an attribute set on each, so each has an instance dict)
  deepest   the deepest chain `y = y*1 + 0` (in iterations) whose backward() returns,
            at the interpreter's default recursion limit

Times are CPU time of the worker process (time.process_time: user + system), which a
neighbour on this shared 2-core VM disturbs far less than wall time; the wall-clock
figures are reported next to them (`*_wall*` fields).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc

cpu, wall = time.process_time, time.perf_counter


def demo_loss(model, Value, X, y):
    """The published demo's loss(): SVM max-margin loss + L2, and accuracy.

    Its code as published, so the `noqa`s keep its zips and parentheses as they are.
    """
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # noqa: B905
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))  # noqa: UP034
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]  # noqa: B905, E501
    return total_loss, sum(accuracy) / len(accuracy)


def demo_step(model, Value, X, y, k):
    """Step k of the published demo's training loop: forward, backward, SGD update."""
    total_loss, acc = demo_loss(model, Value, X, y)
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss


def run_demo_steps(args, numpy_inputs=False):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    data = json.load(open(args.data))
    X, y = data["X"], data["y"]
    if numpy_inputs:
        import numpy as np

        X, y = np.array(X, dtype=np.float64), np.array(y, dtype=np.int64)
    random.seed(1337)  # the demo seeds both RNGs before building MLP(2, [16, 16, 1])
    model = MLP(2, [16, 16, 1])
    gc_ms = _gc_probe() if args.gc_probe else None
    times, walls, losses = [], [], []
    total = None
    for k in range(args.steps):
        if args.no_gc and k:
            gc.collect()  # untimed, keeps memory bounded (a gc-less loop never pays it)
        if gc_ms is not None and k == args.warmup:
            for gen in gc_ms:
                gc_ms[gen] = [0, 0.0]
        w0, t0 = wall(), cpu()
        # reassigning `total` drops the previous step's graph here, so a step pays for
        # freeing it (by reference counting; micrograd 0.1.0's cycles wait for the GC)
        total = demo_step(model, Value, X, y, k)
        times.append(cpu() - t0)
        walls.append(wall() - w0)
        losses.append(float(total.data))
    timed = times[args.warmup :]
    out = {
        "step_ms": [t * 1000 for t in timed],
        "warmup_ms": [t * 1000 for t in times[: args.warmup]],
        "step_wall_ms": [t * 1000 for t in walls[args.warmup :]],
        "loss_step0": losses[0],
        "loss_last": losses[-1],
        "data_type": type(total.data).__name__,
    }
    if gc_ms is not None:
        gc.callbacks.clear()
        out["gc_per_step"] = {
            str(gen): {"collections": n / len(timed), "ms": s * 1000 / len(timed)}
            for gen, (n, s) in gc_ms.items()
        }
    return out


def _gc_probe():
    """Time every collection by generation, via gc.callbacks."""
    totals = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
    start = [0.0]

    def callback(phase, info):
        if phase == "start":
            start[0] = cpu()
        else:
            t = totals[info["generation"]]
            t[0] += 1
            t[1] += cpu() - start[0]

    gc.callbacks.append(callback)
    return totals


def run_chain(args):
    from micrograd.engine import Value

    # micrograd 0.1.0 sorts the graph recursively; lift the limit so its backward can
    # be timed at all on a long chain (Python 3.11 runs Python-to-Python calls without
    # growing the C stack). Our engine does not recurse: the limit changes nothing.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * args.chain + 1000))
    n = args.chain
    x = Value(1.0)
    w0, t0 = wall(), cpu()
    y = x
    for _ in range(n):
        y = y * 1.0000001 + 0.0
    w1, t1 = wall(), cpu()
    y.backward()
    w2, t2 = wall(), cpu()
    # 2 ops (a * and a +) per iteration, in both directions
    return {
        "forward_ops_per_s": 2 * n / (t1 - t0),
        "backward_ops_per_s": 2 * n / (t2 - t1),
        "forward_ops_per_s_wall": 2 * n / (w1 - w0),
        "backward_ops_per_s_wall": 2 * n / (w2 - w1),
        "x_grad": float(x.grad),
    }


def run_bytes_per_value(args):
    from micrograd.engine import Value

    n = 200_000
    leaves = [Value(float(i)) for i in range(1000)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    acc = leaves[0]
    if args.attribute:  # every Value gets an attribute of its own: an instance dict
        for i in range(n):
            m = acc * leaves[i % 1000]
            m.note = None
            acc = m + leaves[(i * 7) % 1000]
            acc.note = None
    else:
        for i in range(n):
            acc = acc * leaves[i % 1000] + leaves[(i * 7) % 1000]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # 2 Values per iteration (the * and the +), everything each one keeps alive:
    # the object, its data float, and for micrograd 0.1.0 its _prev set and closure
    return {"bytes_per_value": (after - before) / (2 * n), "alive": acc is not None}


def _chain_backward_survives(Value, depth):
    y = Value(1.0)
    for _ in range(depth):
        y = y * 1.0 + 0.0
    try:
        y.backward()
    except RecursionError:
        return False
    return True


def run_deepest_chain(args):
    from micrograd.engine import Value

    levels = [
        d for d in (100, 300, 1000, 10_000, 100_000, 1_000_000) if d <= args.max_depth
    ]
    survived, failed = 0, None
    for depth in levels:
        if not _chain_backward_survives(Value, depth):
            failed = depth
            break
        survived = depth
    if failed is not None:  # narrow down to the exact depth
        lo, hi = survived, failed
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _chain_backward_survives(Value, mid):
                lo = mid
            else:
                hi = mid
        survived = lo
    return {
        "deepest_chain_survived": survived,
        "first_failure": None if failed is None else survived + 1,
        "tried_up_to": levels[-1],
        "recursion_limit": sys.getrecursionlimit(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("engine_dir")
    parser.add_argument(
        "workload", choices=["demo", "demo-np", "chain", "bytes", "deepest"]
    )
    parser.add_argument("--no-gc", action="store_true")
    parser.add_argument("--data")
    parser.add_argument(
        "--steps", type=int, default=4, help="demo steps, warm-up included"
    )
    parser.add_argument("--warmup", type=int, default=1, help="demo steps not reported")
    parser.add_argument(
        "--gc-probe", action="store_true", help="time GC collections by generation"
    )
    parser.add_argument("--chain", type=int, default=200_000)
    parser.add_argument("--max-depth", type=int, default=1_000_000)
    parser.add_argument(
        "--attribute", action="store_true", help="bytes: set an attribute on each Value"
    )
    args = parser.parse_args()
    sys.path.insert(0, args.engine_dir)
    if args.no_gc:
        gc.disable()  # the "GC disabled" rows only; the package never touches gc
    run = {
        "demo": run_demo_steps,
        "demo-np": lambda a: run_demo_steps(a, numpy_inputs=True),
        "chain": run_chain,
        "bytes": run_bytes_per_value,
        "deepest": run_deepest_chain,
    }[args.workload]
    result = run(args)
    import micrograd

    result["engine_file"] = micrograd.__file__
    result["gc_enabled"] = gc.isenabled()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
