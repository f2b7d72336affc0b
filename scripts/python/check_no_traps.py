#!/usr/bin/env python3
"""Lint: nothing reachable from the C API may trap.

Scans the Swift modules behind the C API (Sources/DeiT, Sources/DeiTRuntime, Sources/DeiTKernels)
and the C shims (Sources/CDeiT*) for constructs that stop the host process: fatalError,
precondition, assert, try!, as!, force unwraps and unsafelyUnwrapped in Swift; abort, assert and
exit in C. Comments and string literals are ignored. `--self-test` checks the rules themselves.

Usage: scripts/python/check_no_traps.py [repository root]    (exit 1 when something is found)
"""
import pathlib
import re
import sys

SWIFT_MODULES = ["DeiT", "DeiTRuntime", "DeiTKernels"]
SWIFT_RULES = [
    (re.compile(r"\b(fatalError|preconditionFailure|precondition|assertionFailure|assert)\s*\("), "traps"),
    (re.compile(r"\btry!"), "try! traps on error"),
    (re.compile(r"\bas!"), "as! traps on a failed cast"),
    (re.compile(r"\.unsafelyUnwrapped\b"), "unsafelyUnwrapped is undefined on nil"),
    # A postfix `!` after a name, `)` or `]`, not `!=`: a force unwrap.
    (re.compile(r"[\w\)\]]!(?!=)"), "force unwrap traps on nil"),
]
C_RULES = [
    (re.compile(r"\b(abort|assert|exit|_Exit|quick_exit)\s*\("), "stops the host process"),
]


def strip_swift(text: str) -> str:
    """Blanks comments and string literals (keeping line numbers) so rules see only code."""
    text = re.sub(r'"""[\s\S]*?"""', lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    text = re.sub(r"/\*[\s\S]*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"//[^\n]*", "", text)


def strip_c(text: str) -> str:
    text = re.sub(r"/\*[\s\S]*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"//[^\n]*", "", text)


def findings(text: str, rules, strip) -> list[tuple[int, str, str]]:
    found = []
    for number, line in enumerate(strip(text).splitlines(), 1):
        for pattern, why in rules:
            match = pattern.search(line)
            if match:
                found.append((number, match.group(), why))
    return found


def self_test() -> None:
    must_find = ["fatalError(\"x\")", "let a = try! f()", "x as! Int", "let y = x!", "f(x!.count)",
                 "a[i]!", "precondition(n > 0)", "p.unsafelyUnwrapped"]
    must_pass = ["if a != b {}", "guard !done else {}", "// fatalError(", "let s = \"try! x!\"",
                 "/* x! */ let z = !flag", "/// assert(x)"]
    for code in must_find:
        assert findings(code, SWIFT_RULES, strip_swift), f"missed: {code}"
    for code in must_pass:
        assert not findings(code, SWIFT_RULES, strip_swift), f"false alarm: {code}"
    assert findings("if (n < 0) abort();", C_RULES, strip_c)
    assert not findings("/* abort() */ int exit_code = 0;", C_RULES, strip_c)


def main() -> int:
    self_test()
    if sys.argv[1:] == ["--self-test"]:
        print("check-no-traps: self-test OK")
        return 0
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = [(path, SWIFT_RULES, strip_swift)
             for module in SWIFT_MODULES for path in sorted((root / "Sources" / module).rglob("*.swift"))]
    files += [(path, C_RULES, strip_c) for path in sorted((root / "Sources").glob("CDeiT*/**/*.[ch]"))]
    problems = 0
    for path, rules, strip in files:
        for number, text, why in findings(path.read_text(), rules, strip):
            print(f"{path.relative_to(root)}:{number}: `{text}`: {why}")
            problems += 1
    print(f"check-no-traps: {len(files)} files, {problems} finding(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
