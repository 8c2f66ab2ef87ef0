#!/usr/bin/env python3
"""Line and branch coverage of ferry's own code, for `make coverage`.

Usage: cmake/coverage.py BUILD_DIR [JOBS] [--report-only]

BUILD_DIR is a build made with gcc's --coverage (the Makefile makes one in
build-cov/). The script clears the counters of earlier runs, runs the test
suite there, asks gcovr for the counts and prints them per file and per part,
then checks the targets docs/testing.md ("Coverage") states. It exits 0 when
every test passed and every target holds, 1 otherwise. --report-only
reports the counters as they are, without running the tests: after running
a few of them by hand, say.

What is measured: ferry's sources (runtime/, codegen/, clients/, services/).
The tests themselves, and all generated code (protobuf-c's *.pb-c.c and the
ferry code generated into the build directory), are not.

Branches: gcc counts a branch for every edge its instrumentation adds, some
of which no C source can take (exception edges, edges on lines without code).
gcovr is told to leave those out (--exclude-throw-branches,
--exclude-unreachable-branches); every branch a condition in the source
makes is counted.
"""

import json
import os
import re
import shutil
import subprocess
import sys

# (part, path prefix, minimum % of lines, minimum % of branches); None: shown only.
PARTS = [
    ("runtime/", "runtime/", 90.0, 75.0),
    ("codegen/check/", "codegen/check/", 90.0, None),
    ("codegen/ (generator)", "codegen/", None, None),
    ("clients/", "clients/", None, None),
    ("services/", "services/", None, None),
]
# Parts whose files are listed one by one.
DETAILED = ("runtime/", "codegen/check/")
# The packaging tests build ferry again, or link its installed libraries into a
# project of their own without the coverage runtime (libgcov): they measure
# nothing here and cannot link.
SKIPPED_TESTS = "^install_"


def pct(covered, total):
    return 100.0 * covered / total if total else 100.0


def figure(covered, total):
    return f"{pct(covered, total):5.1f}% ({covered}/{total})"


def main():
    args = [a for a in sys.argv[1:] if a != "--report-only"]
    report_only = len(args) < len(sys.argv) - 1
    if not args:
        sys.exit("usage: coverage.py BUILD_DIR [JOBS] [--report-only]")
    build = os.path.abspath(args[0])
    jobs = args[1] if len(args) > 1 else "2"
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    if shutil.which("gcovr") is None:
        sys.exit("make coverage needs gcovr: install Debian's gcovr package "
                 "(apt-get install gcovr)")

    tests_failed = False
    if not report_only:
        # Counters add up across runs: start from none.
        for d, _, files in os.walk(build):
            for f in files:
                if f.endswith(".gcda"):
                    os.remove(os.path.join(d, f))
        tests = subprocess.run(["ctest", "--test-dir", build, "-j", jobs, "-E", SKIPPED_TESTS,
                                "--output-on-failure"])
        tests_failed = tests.returncode != 0

    summary = os.path.join(build, "coverage-summary.json")
    cmd = ["gcovr", "--root", root, "--object-directory", build, "-j", jobs,
           "--exclude-throw-branches", "--exclude-unreachable-branches",
           "--exclude", r".*\.pb-c\.[ch]$",
           "--exclude-directories", re.escape(os.path.join(build, "CMakeFiles")),
           "--json-summary", summary]
    for _, prefix, _, _ in PARTS:
        cmd += ["--filter", re.escape(os.path.join(root, prefix))]
    cmd.append(build)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(summary) as f:
        files = json.load(f)["files"]

    def sums(prefix):
        sel = [f for f in files if f["filename"].startswith(prefix)]
        return [sum(f[k] for f in sel)
                for k in ("line_covered", "line_total", "branch_covered", "branch_total")]

    print()
    for part in DETAILED:
        print(f"{part:38s} {'lines':>22s} {'branches':>22s}")
        for f in sorted(files, key=lambda f: f["filename"]):
            if f["filename"].startswith(part):
                print(f"  {f['filename'][len(part):]:36s}"
                      f" {figure(f['line_covered'], f['line_total']):>22s}"
                      f" {figure(f['branch_covered'], f['branch_total']):>22s}")
        print()

    failed = []
    print(f"{'part':38s} {'lines':>22s} {'branches':>22s}   target")
    for name, prefix, min_lines, min_branches in PARTS:
        lc, lt, bc, bt = sums(prefix)
        if prefix == "codegen/":
            # The generator proper: codegen/ without the checker, shown above.
            clc, clt, cbc, cbt = sums("codegen/check/")
            lc, lt, bc, bt = lc - clc, lt - clt, bc - cbc, bt - cbt
        target = []
        if min_lines is not None:
            target.append(f"lines >= {min_lines:g}%")
            if pct(lc, lt) < min_lines:
                failed.append(f"{name} lines {pct(lc, lt):.1f}% < {min_lines:g}%")
        if min_branches is not None:
            target.append(f"branches >= {min_branches:g}%")
            if pct(bc, bt) < min_branches:
                failed.append(f"{name} branches {pct(bc, bt):.1f}% < {min_branches:g}%")
        print(f"{name:38s} {figure(lc, lt):>22s} {figure(bc, bt):>22s}   {', '.join(target)}"
              .rstrip())
    lc, lt, bc, bt = sums("")
    print(f"{'total':38s} {figure(lc, lt):>22s} {figure(bc, bt):>22s}")
    print()

    if tests_failed:
        failed.append("some tests failed (above): the figures miss what they would have run")
    for why in failed:
        print(f"coverage: {why}", file=sys.stderr)
    if not failed:
        print("coverage: every target holds")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
