// latency — one model shared by N threads; each thread has its own session running in an arena
// the program allocated, classifies the images in turn and reports its per-image latency
// percentiles.
//
//   latency MODEL.safetensors THREADS RUNS [IMAGE...]
//
// With images, each run is deit_classify_file (read, decode, preprocess, forward); without, each
// run is deit_session_run on a fixed input (the forward pass alone, no heap allocation).
#include <deit.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct ThreadResult {
    std::vector<double> milliseconds;  // one per run
    deit_status status = DEIT_OK;
    std::string error;
};

// The p-th percentile (0...100) of sorted values, nearest rank.
double percentile(const std::vector<double> &sorted, double p) {
    if (sorted.empty()) return 0.0;
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.5);
    rank = std::min(std::max<size_t>(rank, 1), sorted.size());
    return sorted[rank - 1];
}

void run_thread(const deit_model *model, int runs, const std::vector<std::string> &images, ThreadResult &result) {
    // One worker per session (this program runs one session per thread): the defaults.
    deit_session_options options;
    deit_session_options_default(&options);
    options.num_threads = 1;
    // The caller owns the arena: 64-byte aligned, at least deit_session_arena_size_with_options
    // bytes, and it outlives the session (`storage` is destroyed after deit_session_free below).
    size_t arena_bytes = 0;
    deit_session *session = nullptr;
    result.status = deit_session_arena_size_with_options(model, &options, &arena_bytes);
    if (result.status != DEIT_OK) { result.error = deit_last_error(); return; }
    std::vector<unsigned char> storage(arena_bytes + 63);
    void *arena = storage.data();
    size_t space = storage.size();
    std::align(64, arena_bytes, arena, space);  // C++11: the first 64-byte boundary in storage
    result.status = deit_session_create_with_options(model, &options, arena, arena_bytes, &session);
    if (result.status != DEIT_OK) { result.error = deit_last_error(); return; }

    deit_model_info info;
    info.struct_size = sizeof info;  // the version of deit_model_info this program knows
    deit_model_get_info(model, &info);
    const size_t input_count = 3 * static_cast<size_t>(info.image_size) * static_cast<size_t>(info.image_size);
    std::vector<float> input(input_count, 0.25f);
    std::vector<float> logits(static_cast<size_t>(info.num_classes));
    deit_prediction top[1];

    for (int run = 0; run < runs && result.status == DEIT_OK; run++) {
        const auto start = std::chrono::steady_clock::now();
        if (images.empty()) {
            result.status = deit_session_run(session, input.data(), input.size(), logits.data(), logits.size());
        } else {
            const std::string &image = images[static_cast<size_t>(run) % images.size()];
            result.status = deit_classify_file(session, image.c_str(), 1, top);
        }
        const auto end = std::chrono::steady_clock::now();
        if (result.status != DEIT_OK) result.error = deit_last_error();
        result.milliseconds.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    deit_session_free(session);  // before `storage`, the arena, goes out of scope
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s MODEL.safetensors THREADS RUNS [IMAGE...]\n", argv[0]);
        return 2;
    }
    const int threads = std::atoi(argv[2]);
    const int runs = std::atoi(argv[3]);
    if (threads < 1 || threads > 256 || runs < 1) {
        std::fprintf(stderr, "latency: THREADS must be 1...256 and RUNS at least 1\n");
        return 2;
    }
    if (!DEIT_ABI_COMPATIBLE()) {
        std::fprintf(stderr, "latency: libdeit ABI %d, header ABI %d\n", static_cast<int>(deit_abi_version()),
                     DEIT_ABI_VERSION);
        return 1;
    }
    std::vector<std::string> images(argv + 4, argv + argc);

    deit_model *model = nullptr;
    if (deit_model_load_file(argv[1], &model) != DEIT_OK) {
        std::fprintf(stderr, "latency: %s: %s\n", argv[1], deit_last_error());
        return 1;
    }

    // One immutable model, shared; one session per thread.
    std::vector<ThreadResult> results(static_cast<size_t>(threads));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; t++) {
        workers.emplace_back(run_thread, model, runs, std::cref(images), std::ref(results[static_cast<size_t>(t)]));
    }
    for (std::thread &worker : workers) worker.join();
    deit_model_free(model);

    std::printf("%d thread(s) x %d run(s), %s\n", threads, runs,
                images.empty() ? "deit_session_run (forward only)" : "deit_classify_file (decode + forward)");
    std::printf("thread     p50 ms     p90 ms     p99 ms     max ms\n");
    int exit_code = 0;
    for (size_t t = 0; t < results.size(); t++) {
        ThreadResult &result = results[t];
        if (result.status != DEIT_OK) {
            std::fprintf(stderr, "latency: thread %zu: %s: %s\n", t, deit_status_string(result.status),
                         result.error.c_str());
            exit_code = 1;
            continue;
        }
        std::sort(result.milliseconds.begin(), result.milliseconds.end());
        std::printf("%6zu %10.2f %10.2f %10.2f %10.2f\n", t, percentile(result.milliseconds, 50),
                    percentile(result.milliseconds, 90), percentile(result.milliseconds, 99),
                    result.milliseconds.back());
    }
    return exit_code;
}
