#!/usr/bin/env python3
"""no_cycles.py NM LIBRARY OBJECT... - fails when two of a library's source
files call each other, directly or through others.

docs/architecture.md promises that the parts of ferry's code only call
down: a file may use another, but never one that (through any chain) uses
it back. This reads what each object file defines and what it needs (nm),
links the two into a graph of files, and prints every strongly connected
group of two or more files, with the symbols that tie them."""
import collections
import os
import subprocess
import sys


def main(argv):
    if len(argv) < 4:
        print("usage: no_cycles.py NM LIBRARY OBJECT...", file=sys.stderr)
        return 2
    nm, library, objects = argv[1], argv[2], argv[3:]
    defined, needed = {}, collections.defaultdict(set)
    common = os.path.commonpath(objects) if len(objects) > 1 else os.path.dirname(objects[0])
    for obj in objects:
        name = os.path.relpath(obj, common)
        out = subprocess.run([nm, obj], capture_output=True, text=True, check=True).stdout
        needed[name]
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] in "TDBRVW":
                defined[fields[2]] = name
            elif len(fields) == 2 and fields[0] == "U":
                needed[name].add(fields[1])
    graph = {n: {defined[s] for s in syms if defined.get(s, n) != n} for n, syms in needed.items()}

    # Tarjan's strongly connected components, iteratively.
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    for group in groups:
        print(f"{library}: these files call each other: {', '.join(group)}")
        for a in group:
            for b in sorted(graph[a]):
                if b in group:
                    syms = sorted(s for s in needed[a] if defined.get(s) == b)
                    print(f"  {a} -> {b}: {', '.join(syms[:5])}")
    if not groups:
        print(f"{library}: {len(graph)} files, no circles")
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
