#!/usr/bin/env bash
# Runs the robustness and threading tests under sanitizers. Exit status 0 means every step passed.
#
#   scripts/check-sanitizers.sh
#
# 1. libdeit.so and the Swift test bundle under AddressSanitizer + LeakSanitizer (Swift and C) and
#    UndefinedBehaviorSanitizer (the C targets: stb_image, the support shim), in .build-asan.
# 2. The C tests against it (Tests/c/run.sh with DEIT_SANITIZE=address,undefined): API misuse,
#    conformance fixtures, the malformed-model corpus (model_corpus), the malformed-image corpus
#    (image_corpus) and the threading test. alloc_count is skipped: it replaces malloc.
# 3. Every Swift test suite under ASan + UBSan except SessionBusyTests, which reads a freed handle on
#    purpose (the API's best-effort use-after-free check) and so is an ASan report by design.
# 4. The same under ThreadSanitizer in .build-tsan: Tests/c/threads.c (8 threads sharing one model,
#    1- and 2-worker sessions, 100 runs each, model freed mid-way) and api_misuse (per-thread
#    errors), then the Swift suites that use threads (ThreadingTests, SessionBusyTests, CAPITests).
#
# Environment: DEIT_SHARED as for scripts/test.sh (real-weight tests skip without it);
# DEIT_SANITIZER_SWIFT_TESTS=0 skips the Swift test bundles (their builds are the slow part).
# Reports stop the run at the first error. UBSan suppressions (third-party stb_image only, each
# justified) are in Tests/c/ubsan.supp; no LeakSanitizer suppressions are needed. The Swift tests
# run from the test bundle directly (`swift test` adds nothing here and was seen to stall).
# The kernel flags from Package.swift (-march=x86-64-v3 etc.) stay in both builds.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
swift_tests="${DEIT_SANITIZER_SWIFT_TESTS:-1}"

source scripts/lib/steps.sh
steps_begin "sanitizer summary" "sanitizers: all passed"

shared="${DEIT_SHARED:-$repo/../shared}"
if [ -d "$shared" ]; then DEIT_SHARED=$(cd "$shared" && pwd); fi
export DEIT_SHARED="$shared"

# abort_on_error: a report ends the process with SIGABRT (a failing exit status even where the
# test itself would pass). detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$repo/Tests/c/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1"

# -enable-testing: the test targets use @testable imports in these optimised builds.
asan_flags=(-c release --sanitize=address -Xcc -fsanitize=undefined -Xswiftc -enable-testing
            --scratch-path "$repo/.build-asan")
tsan_flags=(-c release --sanitize=thread -Xswiftc -enable-testing --scratch-path "$repo/.build-tsan")
build_what=(--product deit)
built="libdeit.so"
if [ "$swift_tests" != 0 ]; then build_what=(--build-tests); built="libdeit.so and the Swift tests"; fi
test_bundle=deitPackageTests.xctest

step "build $built with ASan + UBSan (.build-asan)"
swift build "${asan_flags[@]}" "${build_what[@]}"
asan_bin=$(swift build "${asan_flags[@]}" --show-bin-path)

step "C tests under ASan + UBSan"
DEIT_SANITIZE=address,undefined Tests/c/run.sh "$asan_bin" "$repo/.build-asan/c-tests"

if [ "$swift_tests" != 0 ]; then
    step "Swift tests under ASan + UBSan (all suites but SessionBusyTests)"
    "$asan_bin/$test_bundle" --testing-library swift-testing --skip SessionBusyTests
fi

step "build $built with TSan (.build-tsan)"
swift build "${tsan_flags[@]}" "${build_what[@]}"
tsan_bin=$(swift build "${tsan_flags[@]}" --show-bin-path)

step "C threading tests under TSan"
DEIT_SANITIZE=thread DEIT_C_TESTS="threads api_misuse" Tests/c/run.sh "$tsan_bin" "$repo/.build-tsan/c-tests"

if [ "$swift_tests" != 0 ]; then
    step "Swift threading suites under TSan"
    "$tsan_bin/$test_bundle" --testing-library swift-testing --filter 'ThreadingTests|SessionBusyTests|CAPITests'
fi

finish_step
