#!/usr/bin/env python3
"""Lint: the runtime, C API and CLI call kernels only through the session's `KernelTable`.

They are compiled for baseline x86-64 and the kernel sources once per instruction set
(DeiTKernels = baseline, DeiTKernelsAVX2, DeiTKernelsAVX512, DeiTKernelsAVXVNNI, DeiTKernelsAVX512VNNI,
DeiTKernelsDotProd), so a direct call such as
`Elementwise.add(...)` from Sources/DeiTRuntime runs the *baseline* module's kernel whatever set the
session chose (slow, and other bits than the chosen set), and a direct call into an AVX module would
fault (SIGILL) on CPUs without it. Kernels must go through `kernels.…` (`KernelTable`, chosen per
session by DeiTRuntime's KernelChoice, the one file that names the per-set modules).

Allowed outside KernelChoice.swift: layout arithmetic that is the same in every set (the attention
panels' and the int8 GEMM's sizes, the talking-heads scratch). Comments and string literals are
ignored. `--self-test` checks the rules themselves.

Usage: scripts/python/check_kernel_calls.py [repository root]    (exit 1 when something is found)
"""
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_no_traps import strip_swift  # noqa: E402

CHECKED_MODULES = ["DeiTRuntime", "DeiT", "deit-cli"]
# The one file that names the per-set kernel modules and their tables.
CHOICE_FILE = "KernelChoice.swift"
# Members of the kernel module's types that are layout arithmetic, identical in every kernel set.
SET_INDEPENDENT = {
    "AttentionKernel": {"packedKeysCount", "packedValuesCount", "scoresCount", "scratchCount"},
    "TalkingHeadsKernel": {"scratchCount"},
    "Int16AttentionKernel": {"packedKeysByteCount", "packedValuesByteCount", "scratchCount", "maximumHeadDim",
                             "maximumTokens"},
    "Int8GEMM": {"groupCount", "groupSize", "quantizedRowLength", "panelCount", "panelWidth", "packedByteCount",
                 "weightLimit", "pairLimit"},  # the int8 format's bounds (|w| ≤ 127, pairs ≤ 128), which every set's kernel relies on
}
PER_SET_MODULE = re.compile(r"\bimport\s+(DeiTKernelsAVX2|DeiTKernelsAVX512|DeiTKernelsAVXVNNI|DeiTKernelsAVX512VNNI|DeiTKernelsDotProd)\b")


def kernel_types(root: pathlib.Path) -> set:
    """The public types of the kernel module (Sources/DeiTKernels)."""
    names = set()
    for path in (root / "Sources" / "DeiTKernels").glob("*.swift"):
        names.update(re.findall(r"^public\s+(?:enum|struct|final\s+class|class)\s+(\w+)", path.read_text(), re.M))
    return names


def problems_in(text: str, types: set, is_choice_file: bool) -> list:
    code = strip_swift(text)
    found = []
    if types:
        reference = re.compile(r"(?<![\w.])(" + "|".join(sorted(types)) + r")\s*\.\s*(\w+)")
        for match in reference.finditer(code):
            type_name, member = match.group(1), match.group(2)
            if member in SET_INDEPENDENT.get(type_name, set()):
                continue
            if is_choice_file and type_name == "CompiledKernels":
                continue
            line = code.count("\n", 0, match.start()) + 1
            found.append((line, f"{type_name}.{member}: a kernel module used directly (call it through the session's KernelTable)"))
    if not is_choice_file:
        for match in PER_SET_MODULE.finditer(code):
            line = code.count("\n", 0, match.start()) + 1
            found.append((line, f"import {match.group(1)}: only {CHOICE_FILE} names the per-set kernel modules"))
    return found


def self_test() -> None:
    types = {"Elementwise", "AttentionKernel", "Int8GEMM", "CompiledKernels", "PackedGEMM"}
    bad = [
        "Elementwise.add(x, into: y, count: n)",
        "let name = Int8GEMM.kernelName",
        "Int8GEMM.multiply(m: 1)",
        "AttentionKernel.rows(0..<1)",
        "let w = PackedGEMM.panelWidth",
        "let t = CompiledKernels.table",
        "import DeiTKernelsAVX2",
    ]
    good = [
        "kernels.add(x, y, n)",
        "let c = AttentionKernel.packedKeysCount(tokens: t, headDim: d)",
        "let l = Int8GEMM.quantizedRowLength(k: k)",
        "// Elementwise.add(x) in a comment",
        'let s = "Elementwise.add"',
        "let x = self.Elementwise.add",  # a member of something else, not the kernel type
    ]
    for line in bad:
        assert problems_in(line, types, False), f"not caught: {line}"
    for line in good:
        assert not problems_in(line, types, False), f"false alarm: {line}"
    assert not problems_in("let t = CompiledKernels.table\nimport DeiTKernelsAVX2", types, True)
    print("check_kernel_calls: self-test passed")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        self_test()
        return 0
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    types = kernel_types(root)
    if not types:
        print(f"check_kernel_calls: no kernel types found under {root}/Sources/DeiTKernels", file=sys.stderr)
        return 1
    count = 0
    files = 0
    for module in CHECKED_MODULES:
        for path in sorted((root / "Sources" / module).rglob("*.swift")):
            files += 1
            for line, message in problems_in(path.read_text(), types, path.name == CHOICE_FILE):
                print(f"{path.relative_to(root)}:{line}: {message}")
                count += 1
    if count:
        print(f"check_kernel_calls: {count} direct kernel use(s) in {', '.join(CHECKED_MODULES)}", file=sys.stderr)
        return 1
    print(f"check_kernel_calls: {files} files of {', '.join(CHECKED_MODULES)} reach kernels only through the KernelTable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
