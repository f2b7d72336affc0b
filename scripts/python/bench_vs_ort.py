#!/usr/bin/env python3
"""deit against ONNX Runtime on the same model, interleaved in one process (scripts/bench-vs-ort.sh).

deit runs through its C API (libdeit.so via ctypes: the library exactly as C programs call it) and
ORT through its Python API on the ONNX export of the same checkpoint. For each thread count both get
a warm-up, then the runs alternate one deit run, one ORT run, so both see the same machine load.
Prints min / median / p90 per runtime and the deit/ORT ratio of the medians.

  bench_vs_ort.py --lib .build/release/libdeit.so --model M.safetensors --onnx M.onnx
                  [--threads 1,2] [--runs 100] [--warmup 10]
"""

import argparse
import ctypes
import os
import platform
import statistics
import time

import numpy as np
import onnxruntime as ort


class Deit:
    """The few C API calls the benchmark needs."""

    def __init__(self, library: str, model_path: str):
        self.lib = ctypes.CDLL(library)
        self.lib.deit_status_string.restype = ctypes.c_char_p
        self.lib.deit_last_error.restype = ctypes.c_char_p
        self.model = ctypes.c_void_p()
        self._check(self.lib.deit_model_load_file(model_path.encode(), ctypes.byref(self.model)), "load")

    def _check(self, status: int, what: str) -> None:
        if status != 0:
            raise SystemExit(f"bench: deit {what}: {self.lib.deit_status_string(status).decode()}: "
                             f"{self.lib.deit_last_error().decode()}")

    def session(self, threads: int) -> ctypes.c_void_p:
        session = ctypes.c_void_p()
        self._check(self.lib.deit_session_create(self.model, ctypes.c_int32(threads), None, ctypes.c_size_t(0),
                                                 ctypes.byref(session)), "session")
        return session

    def run(self, session, x: np.ndarray, logits: np.ndarray) -> None:
        self._check(self.lib.deit_session_run(
            session, x.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(x.size),
            logits.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(logits.size)), "run")

    def free(self, session) -> None:
        self.lib.deit_session_free(session)


def stats(times):
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return ordered[0] * 1e3, statistics.median(ordered) * 1e3, p90 * 1e3


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", required=True, help="path to libdeit.so")
    parser.add_argument("--model", required=True, help="safetensors checkpoint for deit")
    parser.add_argument("--onnx", required=True, help="ONNX export of the same checkpoint")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()

    deit = Deit(args.lib, args.model)
    rng = np.random.default_rng(0)
    ort_inputs = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"]).get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in ort_inputs.shape]
    x = rng.standard_normal(shape, dtype=np.float32)
    logits = np.zeros(1000, dtype=np.float32)

    load = os.getloadavg()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"ONNX Runtime {ort.__version__}; {args.warmup} warm-up runs, then {args.runs} runs each, alternating")
    print(f"{'threads':>7}  {'runtime':<12} {'min ms':>8} {'median ms':>10} {'p90 ms':>8}")
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        ort_session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
        feed = {ort_inputs.name: x}
        session = deit.session(threads)
        logits = np.zeros(ort_session.get_outputs()[0].shape[-1], dtype=np.float32)
        for _ in range(args.warmup):
            deit.run(session, x, logits)
            ort_session.run(None, feed)
        deit_times, ort_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            deit.run(session, x, logits)
            deit_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            ort_logits = ort_session.run(None, feed)[0]
            ort_times.append(time.perf_counter() - start)
        deit.free(session)
        agreement = float(np.max(np.abs(ort_logits.reshape(-1) - logits)))
        d, o = stats(deit_times), stats(ort_times)
        print(f"{threads:>7}  {'deit':<12} {d[0]:8.2f} {d[1]:10.2f} {d[2]:8.2f}")
        print(f"{threads:>7}  {'onnxruntime':<12} {o[0]:8.2f} {o[1]:10.2f} {o[2]:8.2f}")
        print(f"{threads:>7}  deit/ORT median ratio {d[1] / o[1]:.3f}   (max |logit difference| {agreement:.2e})")
        results.append((threads, d[1] / o[1]))
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
