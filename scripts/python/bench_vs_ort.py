#!/usr/bin/env python3
"""deit against ONNX Runtime on the same model, interleaved in one process (scripts/bench-vs-ort.sh).

deit runs through its C API (libdeit.so via ctypes: the library exactly as C programs call it) and
ORT through its Python API on the ONNX export of the same checkpoint. For each thread count every
runtime gets a warm-up, then the runs go round-robin — one run of each per round — so all see the same
machine load. Prints min / median / p90 per runtime, the ratio of each deit build's median to ORT's,
and the median of the per-round ratios (robust when the host's speed drifts during the run).

ORT is measured twice: with its defaults, and with `session.intra_op.allow_spinning=0`. By default
ORT's idle worker threads keep spinning for tens of milliseconds after `run` returns (the script
measures and prints how long); with two cores that spinning thread takes half the machine from
whatever runs next. So each round ends with a pause longer than that tail (`--settle-ms`), and the
spinning ORT runs last in the round: no runtime starts while another one's threads are still busy.
The others change places every round (a rotation), since the first run after the pause can be slower.

  bench_vs_ort.py --lib .build/release/libdeit.so [--lib openblas=PATH] --model M.safetensors --onnx M.onnx
                  [--threads 1,2] [--runs 100] [--warmup 10] [--settle-ms 80] [--batches 1,4,16]

--batches B1,B2,...: throughput instead of latency. The ONNX file needs a dynamic batch axis
(export_onnx.py --dynamic-batch). For each thread count, every round runs, for each batch size N,
one batch of N distinct images through each runtime (deit: one deit_session_run_batch call on a
session created with max_batch N; ORT: one run on an N×3×S×S tensor), ORT's spinning default last,
then the pause. Prints images/s from the median time per batch (N / median), the per-batch median
in ms, deit's images/s over the faster ORT's, and the median of the per-round ratios.
"""

import argparse
import ctypes
import os
import platform
import statistics
import time

import numpy as np
import onnxruntime as ort


class LoadOptions(ctypes.Structure):
    """deit_load_options (include/deit.h), the fields this script sets."""
    _fields_ = [("struct_size", ctypes.c_size_t), ("limits", ctypes.c_void_p), ("image_size", ctypes.c_int32),
                ("precision", ctypes.c_int32), ("config_json", ctypes.c_char_p), ("config_json_size", ctypes.c_size_t)]


class SessionOptions(ctypes.Structure):
    """deit_session_options (include/deit.h)."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("kernel_set", ctypes.c_char_p), ("num_threads", ctypes.c_int32),
                ("max_batch", ctypes.c_int32), ("flags", ctypes.c_uint64)]


PRECISIONS = {"f32": 0, "int8": 1}  # deit_precision
INT8_OVER_F32_TARGET = {1: 0.75, 2: 0.80}  # issue 14, DeiT-Ti batch 1: 1 thread, 2 threads and more
SPINNING = ("ort-default", "ort-int8-default")  # ORT sessions with their defaults: idle workers spin


class Deit:
    """The few C API calls the benchmark needs, on one libdeit.so, one model at one precision."""

    def __init__(self, library: str, model_path: str, precision: str = "f32"):
        self.lib = ctypes.CDLL(library)  # RTLD_LOCAL: two builds of libdeit can be loaded side by side
        self.lib.deit_status_string.restype = ctypes.c_char_p
        self.lib.deit_last_error.restype = ctypes.c_char_p
        self.model = ctypes.c_void_p()
        options = LoadOptions()
        self.lib.deit_load_options_default(ctypes.byref(options))
        options.precision = PRECISIONS[precision]
        self._check(self.lib.deit_model_load_file_with_options(model_path.encode(), ctypes.byref(options),
                                                                ctypes.byref(self.model)), "load")

    def _check(self, status: int, what: str) -> None:
        if status != 0:
            raise SystemExit(f"bench: deit {what}: {self.lib.deit_status_string(status).decode()}: "
                             f"{self.lib.deit_last_error().decode()}")

    def session(self, threads: int) -> ctypes.c_void_p:
        session = ctypes.c_void_p()
        self._check(self.lib.deit_session_create(self.model, ctypes.c_int32(threads), None, ctypes.c_size_t(0),
                                                 ctypes.byref(session)), "session")
        return session

    def kernel_set(self, session: ctypes.c_void_p) -> str:
        """The kernel set the session chose (deit_session_get_kernel_set)."""
        name = ctypes.c_char_p()
        self._check(self.lib.deit_session_get_kernel_set(session, ctypes.byref(name)), "kernel set")
        return name.value.decode()

    def batch_session(self, threads: int, max_batch: int) -> ctypes.c_void_p:
        options = SessionOptions()
        self.lib.deit_session_options_default(ctypes.byref(options))
        options.num_threads = threads
        options.max_batch = max_batch
        session = ctypes.c_void_p()
        self._check(self.lib.deit_session_create_with_options(self.model, ctypes.byref(options), None,
                                                              ctypes.c_size_t(0), ctypes.byref(session)), "session")
        return session

    def run_batch(self, session, x: np.ndarray, logits: np.ndarray) -> None:
        self._check(self.lib.deit_session_run_batch(
            session, ctypes.c_int32(x.shape[0]), x.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(x.size),
            logits.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(logits.size)), "run_batch")

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


def round_order(runtimes, round_index: int, name_of):
    """The order of one round: the runtimes that do not spin, rotated by one place per round, then ORT's
    spinning default sessions (`SPINNING`) in their fixed order, so that no runtime starts
    while another's threads still spin. The rotation matters: the first run after the pause is slower
    on some hosts (two deit builds on the 2-vCPU AMD EPYC: median ratio 1.07 with one first, 1.01 with
    the other first), and with a fixed order one runtime — deit f32, listed first — would always pay it."""
    quiet = [runtime for runtime in runtimes if name_of(runtime) not in SPINNING]
    spinning = [runtime for runtime in runtimes if name_of(runtime) in SPINNING]
    shift = round_index % len(quiet) if quiet else 0
    return quiet[shift:] + quiet[:shift] + spinning


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ort_session(path: str, threads: int, spinning: bool) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def busy_after_run(run, window_s: float = 0.2) -> float:
    """Milliseconds of CPU this process burns while its main thread sleeps `window_s` after `run()`:
    the idle spinning of a runtime's worker threads."""
    run()
    start = time.process_time()
    time.sleep(window_s)
    return (time.process_time() - start) * 1e3


def batch_mode(args, builds) -> None:
    """Throughput at each batch size in args.batches, interleaved (see the module's docstring)."""
    batches = [int(b) for b in args.batches.split(",")]
    rng = np.random.default_rng(0)
    probe = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    ort_input = probe.get_inputs()[0]
    if isinstance(ort_input.shape[0], int) and any(b != ort_input.shape[0] for b in batches):
        raise SystemExit(f"bench: {args.onnx} has a fixed batch of {ort_input.shape[0]}; export it with "
                         "export_onnx.py --dynamic-batch")
    size = ort_input.shape[1:]
    xs = {b: rng.standard_normal([b, *size], dtype=np.float32) for b in batches}
    classes = probe.get_outputs()[0].shape[-1]
    load = os.getloadavg()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"ONNX Runtime {ort.__version__}; batches {batches}; {args.warmup} warm-up rounds, then {args.runs} rounds "
          f"(each: every batch size through every runtime), {args.settle_ms:.0f} ms pause after each batch size")
    for threads in [int(t) for t in args.threads.split(",")]:
        ort_quiet = ort_session(args.onnx, threads, spinning=False)
        ort_default = ort_session(args.onnx, threads, spinning=True)
        cells = []  # (batch, name, run function)
        sessions = []
        logits = {b: np.zeros((b, classes), dtype=np.float32) for b in batches}
        for b in batches:
            feed = {ort_input.name: xs[b]}
            for name, deit in builds:
                session = deit.batch_session(threads, b)
                sessions.append((deit, session, b, name))
                cells.append((b, name, lambda deit=deit, session=session, b=b: deit.run_batch(session, xs[b], logits[b])))
            cells.append((b, "ort-nospin", lambda feed=feed: ort_quiet.run(None, feed)))
            cells.append((b, "ort-default", lambda feed=feed: ort_default.run(None, feed)))
        for _ in range(args.warmup):
            for _, _, run in cells:
                run()
            time.sleep(args.settle_ms / 1e3)
        times = {(b, name): [] for b, name, _ in cells}
        groups = {b: [cell for cell in cells if cell[0] == b] for b in batches}
        for round_index in range(args.runs):
            for b in batches:
                for _, name, run in round_order(groups[b], round_index, name_of=lambda cell: cell[1]):
                    start = time.perf_counter()
                    run()
                    times[(b, name)].append(time.perf_counter() - start)
                time.sleep(args.settle_ms / 1e3)
        print(f"\n{threads} thread{'s' if threads > 1 else ''}:")
        print(f"  {'batch':>5} {'runtime':<14} {'images/s':>9} {'ms/batch':>9} {'p90 ms':>8}")
        for b in batches:
            medians = {}
            for name in [n for bb, n, _ in cells if bb == b]:
                _, median, p90 = stats(times[(b, name)])
                medians[name] = median
                print(f"  {b:>5} {name:<14} {b * 1e3 / median:9.1f} {median:9.2f} {p90:8.2f}")
            faster = min(("ort-nospin", "ort-default"), key=lambda name: medians[name])
            reference = ort_default.run(None, {ort_input.name: xs[b]})[0]
            for name, _ in builds:
                paired = statistics.median(o / d for d, o in zip(times[(b, name)], times[(b, faster)]))
                deit, session = next((d, s) for d, s, bb, n in sessions if bb == b and n == name)
                deit.run_batch(session, xs[b], logits[b])
                agreement = float(np.max(np.abs(reference - logits[b])))
                print(f"  {b:>5} {name}/ORT images/s: {medians[faster] / medians[name]:.3f} (medians), "
                      f"{paired:.3f} (median of per-round ratios), against {faster}; max |logit - ORT's| {agreement:.2e}")
        for deit, session, _, _ in sessions:
            deit.free(session)
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", action="append", required=True,
                        help="libdeit.so to benchmark, as PATH or NAME=PATH; repeat to compare builds")
    parser.add_argument("--model", required=True, help="safetensors checkpoint for deit")
    parser.add_argument("--onnx", required=True, help="ONNX export of the same checkpoint")
    parser.add_argument("--onnx-int8", help="ORT's dynamic int8 quantisation of that export (quantize_dynamic, "
                        "per channel), run beside deit's int8 when --precision includes int8")
    parser.add_argument("--precision", default="f32", help="comma-separated deit precisions: f32, int8")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--settle-ms", type=float, default=80,
                        help="pause at the end of each round, longer than ORT's idle spinning")
    parser.add_argument("--batches", help="comma-separated batch sizes: throughput mode (dynamic-batch ONNX)")
    args = parser.parse_args()

    builds = []
    precisions = args.precision.split(",")
    for spec in args.lib:
        name, _, path = spec.rpartition("=")
        for precision in precisions:
            label = "-".join(part for part in ("deit", name, "" if precision == "f32" else precision) if part)
            builds.append((label, Deit(path, args.model, precision)))
    if args.batches:
        batch_mode(args, builds)
        return
    rng = np.random.default_rng(0)
    ort_input = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"]).get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in ort_input.shape]
    x = rng.standard_normal(shape, dtype=np.float32)
    feed = {ort_input.name: x}

    load = os.getloadavg()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"ONNX Runtime {ort.__version__}; {args.warmup} warm-up rounds, then {args.runs} rounds of one run each, "
          f"{args.settle_ms:.0f} ms pause after each round")
    for threads in [int(t) for t in args.threads.split(",")]:
        ort_quiet = ort_session(args.onnx, threads, spinning=False)
        ort_default = ort_session(args.onnx, threads, spinning=True)
        logits = np.zeros(ort_quiet.get_outputs()[0].shape[-1], dtype=np.float32)
        runtimes = []  # (name, run function)
        sessions = []
        for name, deit in builds:
            session = deit.session(threads)
            sessions.append((deit, session))
            runtimes.append((name, lambda deit=deit, session=session: deit.run(session, x, logits)))
        print(f"\n{threads} thread{'s' if threads > 1 else ''}: deit kernel sets: "
              + ", ".join(f"{name} {deit.kernel_set(session)}" for (name, _), (deit, session) in zip(runtimes, sessions)))
        runtimes.append(("ort-nospin", lambda: ort_quiet.run(None, feed)))
        runtimes.append(("ort-default", lambda: ort_default.run(None, feed)))
        if args.onnx_int8 and "int8" in precisions:
            ort_int8_quiet = ort_session(args.onnx_int8, threads, spinning=False)
            ort_int8_default = ort_session(args.onnx_int8, threads, spinning=True)
            runtimes.insert(len(runtimes) - 1, ("ort-int8-nospin", lambda: ort_int8_quiet.run(None, feed)))
            runtimes.append(("ort-int8-default", lambda: ort_int8_default.run(None, feed)))

        for _ in range(args.warmup):
            for _, run in runtimes:
                run()
            time.sleep(args.settle_ms / 1e3)
        tails = {name: busy_after_run(run) for name, run in runtimes}
        time.sleep(args.settle_ms / 1e3)
        times = {name: [] for name, _ in runtimes}
        for round_index in range(args.runs):
            for name, run in round_order(runtimes, round_index, name_of=lambda runtime: runtime[0]):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
            time.sleep(args.settle_ms / 1e3)

        reference = ort_default.run(None, feed)[0].reshape(-1)
        print(f"\n{threads} thread{'s' if threads > 1 else ''}: CPU busy in the 200 ms after one run (idle spinning): "
              + ", ".join(f"{name} {ms:.0f} ms" for name, ms in tails.items()))
        print(f"  {'runtime':<16} {'min ms':>8} {'median ms':>10} {'p90 ms':>8}")
        medians = {}
        for name, _ in runtimes:
            low, median, p90 = stats(times[name])
            medians[name] = median
            print(f"  {name:<16} {low:8.2f} {median:10.2f} {p90:8.2f}")
        def paired(name, other):  # per round both ran within ~0.1 s of each other: the host's drift cancels out
            return statistics.median(d / o for d, o in zip(times[name], times[other]))

        for (name, deit), (_, session) in zip(builds, sessions):
            int8 = name.endswith("-int8")
            prefix = "ort-int8-" if int8 and "ort-int8-default" in medians else "ort-"
            faster_ort = min((prefix + "nospin", prefix + "default"), key=lambda other: medians[other])
            deit.run(session, x, logits)
            agreement = float(np.max(np.abs(reference - logits)))
            print(f"  {name}/{faster_ort[:-7] if faster_ort.endswith('-nospin') else faster_ort[:-8]}: ratio of medians "
                  f"{medians[name] / medians[faster_ort]:.3f}, median of per-round ratios {paired(name, faster_ort):.3f} "
                  f"(against {faster_ort}, the faster; {medians[name] / medians[prefix + 'default']:.3f} against its "
                  f"defaults); max |logit - ORT f32's| {agreement:.2e}")
            f32_name = name[:-len("-int8")]
            if int8 and f32_name in medians:
                print(f"  {name}/{f32_name}: ratio of medians {medians[name] / medians[f32_name]:.3f}, median of "
                      f"per-round ratios {paired(name, f32_name):.3f}")
            if int8 and f32_name in medians and prefix == "ort-int8-":
                # Issue 14's speed targets, judged by the ratios of medians, as README's tables are.
                limit = INT8_OVER_F32_TARGET[min(threads, 2)]
                met = medians[name] / medians[f32_name] <= limit and medians[name] < medians[faster_ort]
                print(f"  target (int8/f32 <= {limit:.2f} and faster than ORT's int8, by medians): "
                      f"{'met' if met else 'NOT met'}")
            deit.free(session)
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
