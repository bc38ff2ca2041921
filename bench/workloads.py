"""Workloads timed by bench/engine_vs_micrograd.py, run in a fresh process per engine.

Usage: python bench/workloads.py ENGINE_DIR WORKLOAD [--no-gc] [--data moons.json]
Imports `micrograd` from ENGINE_DIR (ours or karpathy's 0.1.0) and prints one JSON
line of measurements. Nothing here imports numpy or scikit-learn, so both engines
run in the same lean process and only the engine differs.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc


def demo_step(model, Value, X, y):
    """One step of micrograd's published demo: forward, backward, SGD update."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.5 * p.grad
    return total


def run_demo_steps(args):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    data = json.load(open(args.data))
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    times = []
    total = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        total = demo_step(model, Value, data["X"], data["y"])
        times.append(time.perf_counter() - t0)
    return {"step_ms": [t * 1000 for t in times], "loss": float(total.data)}


def run_chain(args):
    from micrograd.engine import Value

    n = args.chain
    x = Value(1.0)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0000001 + 0.0
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    return {"forward_ops_per_s": 2 * n / (t1 - t0), "backward_nodes_per_s": 2 * n / (t2 - t1)}


def run_bytes_per_value(args):
    from micrograd.engine import Value

    n = 200_000
    leaves = [Value(float(i)) for i in range(1000)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    acc = leaves[0]
    for i in range(n):
        acc = acc * leaves[i % 1000] + leaves[(i * 7) % 1000]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # 2 Values per iteration (the * and the +)
    return {"bytes_per_value": (after - before) / (2 * n), "alive": acc is not None}


def run_deepest_chain(args):
    from micrograd.engine import Value

    survived = 0
    for depth in (100, 300, 500, 1000, 3000, 10_000, 100_000, 1_000_000):
        y = x = Value(1.0)
        for _ in range(depth):
            y = y * 1.0 + 0.0
        try:
            y.backward()
        except RecursionError:
            break
        survived = depth
    return {"deepest_chain_survived": survived, "recursion_limit": sys.getrecursionlimit()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("engine_dir")
    parser.add_argument("workload", choices=["demo", "chain", "bytes", "deepest"])
    parser.add_argument("--no-gc", action="store_true")
    parser.add_argument("--data")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chain", type=int, default=200_000)
    args = parser.parse_args()
    sys.path.insert(0, args.engine_dir)
    if args.no_gc:
        gc.disable()  # the benchmark's "GC off" column only; the package never does this
    run = {"demo": run_demo_steps, "chain": run_chain, "bytes": run_bytes_per_value,
           "deepest": run_deepest_chain}[args.workload]
    result = run(args)
    import micrograd

    result["engine_file"] = micrograd.__file__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
