#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of libdeit (Tests/fuzz) with AddressSanitizer, each for a
# bounded time; exits non-zero if any finds a crash, leak, timeout or out-of-memory, and prints the
# reproducer.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default: $DEIT_FUZZ_SECONDS, else 60; all targets)
#
# Targets (Tests/fuzz/<Name>Fuzzer.swift, seeds in Tests/fuzz/corpus/<target>, dictionaries in Tests/fuzz/dict):
#   model_load  bytes → deit_model_load_memory → info, session, one run on zeros
#   image       bytes → RGBImage.decode (stb_image) → deit_preprocess_rgb8 and EvalTransform
#   classify    bytes → deit_classify_file (read, decode, preprocess, forward, top-k)
#   config_json bytes → deit_load_options.config_json with a small checkpoint → info, labels, preprocessing
# Everything goes to .build/fuzz: objects, binaries (bin/), the working corpora (corpus/<target>:
# the committed seeds copied, plus what the fuzzer finds; the committed corpus is never written),
# artifacts/<target>/ (crash-*, leak-*, timeout-*, oom-*) and logs/<target>.log.
# Reproduce a finding: the command printed with it (the binary run on the artifact file).
# Needs the Swift toolchain (swiftc and its clang, libFuzzer runtime) and stb_image.h (scripts/setup.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)

seconds="${DEIT_FUZZ_SECONDS:-60}"
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then seconds="$1"; shift; fi
all_targets=(model_load image classify config_json)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

build_dir="$repo/.build/fuzz"
started=$SECONDS
say() { echo "fuzz: [$((SECONDS - started))s] $*"; }

# MARK: Per-target settings

source_of() {  # the target's Swift file
    case "$1" in
        model_load) echo Tests/fuzz/ModelLoadFuzzer.swift ;;
        image) echo Tests/fuzz/ImageFuzzer.swift ;;
        classify) echo Tests/fuzz/ClassifyFuzzer.swift ;;
        config_json) echo Tests/fuzz/ConfigJSONFuzzer.swift ;;
        *) echo "fuzz: unknown target '$1' (targets: ${all_targets[*]})" >&2; exit 2 ;;
    esac
}
max_len_of() {  # largest input: the seeds with room to grow (safetensors seeds are ~8 KB, images ≤ 16 KB)
    case "$1" in
        model_load) echo 65536 ;;
        *) echo 32768 ;;
    esac
}
dict_of() {  # libFuzzer dictionary: format keywords the mutator splices in
    case "$1" in
        model_load) echo Tests/fuzz/dict/safetensors.dict ;;
        config_json) echo Tests/fuzz/dict/config_json.dict ;;
        *) echo Tests/fuzz/dict/image.dict ;;
    esac
}
seed_dirs_of() {  # read-only seed directories besides the committed corpus (used when present)
    case "$1" in
        model_load) echo Tests/Fixtures/malformed ;;
        image) echo Tests/Fixtures/images Tests/Fixtures/malformed-images ;;
        classify) echo Tests/fuzz/corpus/image Tests/Fixtures/images Tests/Fixtures/malformed-images ;;
        config_json) echo Tests/Fixtures/malformed-config ;;
    esac
}
for target in "${targets[@]}"; do source_of "$target" >/dev/null; done

# MARK: Toolchain

swiftc_path=$(command -v swiftc) || { echo "fuzz: swiftc not on PATH" >&2; exit 2; }
toolchain_bin=$(dirname "$(readlink -f "$swiftc_path")")
clang="$toolchain_bin/clang"
fuzzer_runtime="$toolchain_bin/../lib/swift/clang/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
for required in "$clang" "$fuzzer_runtime"; do
    [ -e "$required" ] || { echo "fuzz: $required not found (a Swift toolchain for Linux has it)" >&2; exit 2; }
done
[ -f /usr/include/stb/stb_image.h ] || {
    echo "fuzz: /usr/include/stb/stb_image.h not found: run scripts/setup.sh (Debian libstb-dev)" >&2; exit 2; }

# The kernel modules as Package.swift builds them: the sources once per instruction set, each set
# with its flags (the runtime picks one per session at run time; DEIT_KERNEL_SET forces one).
kernel_modules=(DeiTKernels)
if [ "$(uname -m)" = x86_64 ]; then
    kernel_modules=(DeiTKernels DeiTKernelsAVX2 DeiTKernelsAVX512 DeiTKernelsAVXVNNI DeiTKernelsAVX512VNNI)
fi
module_flags() {
    case "$1" in
        DeiTKernelsAVX2) echo -Xcc -march=x86-64-v3 -D DEIT_FMA -D DEIT_AVX2 ;;
        DeiTKernelsAVX512) echo -Xcc -march=x86-64-v4 -D DEIT_FMA -D DEIT_AVX512 ;;
        DeiTKernelsAVXVNNI) echo -Xcc -march=x86-64-v3 -Xcc -mavxvnni -D DEIT_FMA -D DEIT_AVX2 -D DEIT_AVXVNNI ;;
        DeiTKernelsAVX512VNNI) echo -Xcc -march=x86-64-v4 -Xcc -mavx512vnni -D DEIT_FMA -D DEIT_AVX512 -D DEIT_AVX512VNNI ;;
    esac
}
kernel_set="${DEIT_KERNEL_SET:-auto}"

# MARK: Build (skipped when sources and flags are unchanged)

c_include_flags=()
for include_dir in Sources/CDeiTSupport/include Sources/CDeiTImage/include Sources/CDeiTLabels/include; do c_include_flags+=(-I "$include_dir"); done
c_flags=(-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address "${c_include_flags[@]}")
swift_flags=(-O -g -parse-as-library -package-name deit -sanitize=fuzzer,address -I "$build_dir/modules" "${c_include_flags[@]}")
link_flags=(-use-ld=lld -lpthread -lm)   # lld: gold warns about every ASan helper symbol
modules=(DeiTKernelTable "${kernel_modules[@]}" DeiTRuntime DeiT)   # dependency order

build_inputs() {  # everything the binaries depend on, for the up-to-date check
    echo "$clang ${c_flags[*]} | swiftc ${swift_flags[*]} ${link_flags[*]} | $(swiftc --version 2>&1 | head -1)"
    for module in "${modules[@]}"; do echo "$module: $(module_flags "$module")"; done
    find Sources/CDeiTSupport Sources/CDeiTImage Sources/CDeiTLabels "${modules[@]/#/Sources/}" Tests/fuzz -maxdepth 2 \
        \( -name '*.swift' -o -name '*.c' -o -name '*.h' -o -name '*.modulemap' \) -print0 | sort -z | xargs -0 sha256sum
    sha256sum include/deit.h
}
stamp="$build_dir/build.stamp"
wanted_stamp=$(build_inputs | sha256sum | cut -d' ' -f1)
binaries_exist() { local target; for target in "${all_targets[@]}"; do [ -x "$build_dir/bin/$target" ] || return 1; done; }

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted_stamp" ] && binaries_exist; then
    say "fuzzers up to date in $build_dir/bin (kernel set $kernel_set)"
else
    say "building fuzzers with ASan + libFuzzer (kernel set $kernel_set) into $build_dir"
    rm -rf "$build_dir/obj" "$build_dir/modules" "$build_dir/bin" "$stamp"
    mkdir -p "$build_dir/obj" "$build_dir/modules" "$build_dir/bin"
    objects=()
    for c_file in Sources/CDeiTSupport/*.c Sources/CDeiTImage/*.c Sources/CDeiTLabels/*.c; do
        object="$build_dir/obj/$(basename "$(dirname "$c_file")")_$(basename "$c_file" .c).o"
        "$clang" "${c_flags[@]}" -c "$c_file" -o "$object"
        objects+=("$object")
    done
    say "C shims compiled"
    for module in "${modules[@]}"; do
        sources=()
        while IFS= read -r -d '' file; do sources+=("$file"); done \
            < <(find -H "Sources/$module" -name '*.swift' -print0 | sort -z)   # -H: the per-set links
        # shellcheck disable=SC2046  # the flags are words
        swiftc "${swift_flags[@]}" $(module_flags "$module") -wmo -module-name "$module" -c "${sources[@]}" \
            -emit-module -emit-module-path "$build_dir/modules/$module.swiftmodule" -o "$build_dir/obj/$module.o"
        objects+=("$build_dir/obj/$module.o")
        say "$module compiled"
    done
    for target in "${all_targets[@]}"; do
        swiftc "${swift_flags[@]}" -module-name "fuzz_$target" "$(source_of "$target")" Tests/fuzz/FuzzSupport.swift \
            "${objects[@]}" "${link_flags[@]}" -o "$build_dir/bin/$target"
        say "linked bin/$target"
    done
    echo "$wanted_stamp" > "$stamp"
fi

# MARK: Run

export DEIT_FUZZ_TMPDIR="$build_dir/tmp"
mkdir -p "$DEIT_FUZZ_TMPDIR"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
failed=()
for target in "${targets[@]}"; do
    work_corpus="$build_dir/corpus/$target"
    artifacts="$build_dir/artifacts/$target"
    log="$build_dir/logs/$target.log"
    mkdir -p "$work_corpus" "$build_dir/logs"
    rm -rf "$artifacts" && mkdir -p "$artifacts"
    cp -p Tests/fuzz/corpus/"$target"/* "$work_corpus"/ 2>/dev/null || true
    corpus_dirs=("$work_corpus")
    for seed_dir in $(seed_dirs_of "$target"); do [ -d "$seed_dir" ] && corpus_dirs+=("$seed_dir"); done
    command=("$build_dir/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
             -max_len="$(max_len_of "$target")" -dict="$(dict_of "$target")" -artifact_prefix="$artifacts/"
             -print_final_stats=1)
    say "$target: ${seconds}s, corpus ${corpus_dirs[*]} (log $log)"
    status=0
    "${command[@]}" "${corpus_dirs[@]}" >"$log" 2>&1 || status=$?
    # The last status line (#runs, cov, ft, corp, exec/s) and the final stats.
    grep -aE '^#[0-9]+' "$log" | tail -1 | sed 's/^/    /' || true
    grep -aE '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/    /' || true
    # Findings: crash-*, leak-*, timeout-*, oom-* (slow-unit-* is only a note: not a failure).
    reproducers=()
    for artifact in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
        [ -e "$artifact" ] && reproducers+=("$artifact")
    done
    for artifact in "$artifacts"/slow-unit-*; do
        [ -e "$artifact" ] && echo "    note: slow input (no failure): $artifact"
    done
    if [ "$status" -ne 0 ] || [ ${#reproducers[@]} -gt 0 ]; then
        failed+=("$target")
        echo "---- $target: FINDING (exit $status); last lines of $log:"
        tail -n 60 "$log"
        for reproducer in "${reproducers[@]}"; do
            echo "reproducer: $reproducer"
            echo "reproduce:  (cd $repo && DEIT_FUZZ_TMPDIR=$DEIT_FUZZ_TMPDIR $build_dir/bin/$target $reproducer)"
        done
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED: findings in ${failed[*]}"
    exit 1
fi
say "no findings (${targets[*]}, ${seconds}s each)"
