"""A small layered (Sugiyama-style) layout for the SVG drawing: no dependency, no recursion.

1. Layers: longest path from the outputs (an output is layer 0; a node sits one layer above the
   farthest node it feeds). Drawn top to bottom, so leaves are at the top and the output at the
   bottom, as Graphviz draws ``make_dot``'s DOT.
2. Edges spanning several layers get one invisible "dummy" point per layer crossed.
3. Order within each layer: barycenter sweeps down and up; the order with fewest crossings wins.
4. x: each layer is pulled toward its neighbours' centres, keeping order and spacing (a least
   squares fit under "stay left of the next box", solved by pool-adjacent-violators).
"""
from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

NODE_GAP = 18.0      # horizontal space between boxes
DUMMY_W = 8.0        # width reserved for an edge passing through a layer
RANK_GAP = 44.0      # vertical space between layers
MARGIN = 16.0
SWEEPS = 12


@dataclass
class Layout:
    """Positions in pixels: ``boxes[id] = (x, y, w, h)`` (top-left corner), and for every edge
    (same order as given) its path as points from the source box's bottom to the target's top."""

    width: float
    height: float
    boxes: dict[str, tuple[float, float, float, float]]
    paths: list[list[tuple[float, float]]]


def _layers(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layer of each node counted from the sinks (Kahn's order, iterative)."""
    out_deg = {n: 0 for n in ids}
    preds: dict[str, list[str]] = {n: [] for n in ids}
    for s, d in edges:
        out_deg[s] += 1
        preds[d].append(s)
    layer = {n: 0 for n in ids}
    queue = deque(n for n in ids if out_deg[n] == 0)
    done = 0
    while queue:
        n = queue.popleft()
        done += 1
        for p in preds[n]:
            layer[p] = max(layer[p], layer[n] + 1)
            out_deg[p] -= 1
            if out_deg[p] == 0:
                queue.append(p)
    if done != len(ids):
        raise ValueError("dagrad.viz: the graph has a cycle, which an autograd graph never has")
    return layer


def _crossings(upper: dict[str, int], lower: dict[str, int],
               segs: list[tuple[str, str]]) -> int:
    """Number of crossing segments between two adjacent layers (inversions, Fenwick tree)."""
    if len(segs) < 2:
        return 0
    pairs = sorted((upper[a], lower[b]) for a, b in segs)
    size = max(p[1] for p in pairs) + 2
    tree = [0] * (size + 1)
    count = 0
    for seen, (_, b) in enumerate(pairs):
        i, le = b + 1, 0                        # how many earlier segments end at <= b
        while i > 0:
            le += tree[i]
            i -= i & -i
        count += seen - le
        i = b + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


def _pava(desired: list[float], weights: list[float], offsets: list[float]) -> list[float]:
    """Least-squares x's near ``desired`` with x[i+1] - x[i] >= offsets[i+1] - offsets[i]."""
    blocks: list[list[float]] = []          # [mean, weight, count]
    for d, w, o in zip(desired, weights, offsets, strict=True):
        blocks.append([d - o, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks[-1]
            blocks[-1] = [(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2]
    xs: list[float] = []
    for m, _, c in blocks:
        xs.extend([m] * int(c))
    return [y + o for y, o in zip(xs, offsets, strict=True)]


def layout(ids: list[str], sizes: dict[str, tuple[float, float]],
           edges: list[tuple[str, str]]) -> Layout:
    """Place boxes of ``sizes[id] = (w, h)`` and route ``edges`` (source drawn above target).

    ``ids`` is the preferred left-to-right order (the walk's order).
    """
    layer = _layers(ids, edges)
    top = max(layer.values(), default=0)
    rank = {n: top - layer[n] for n in ids}

    # Dummy points for long edges: chain[e] = [src, d1, ..., dst].
    width = {n: sizes[n][0] for n in ids}
    rank_of = dict(rank)
    chains: list[list[str]] = []
    for k, (s, d) in enumerate(edges):
        chain = [s]
        for r in range(rank[s] + 1, rank[d]):
            dummy = f"\x00{k}:{r}"
            rank_of[dummy] = r
            width[dummy] = DUMMY_W
            chain.append(dummy)
        chain.append(d)
        chains.append(chain)

    nranks = top + 1
    order: list[list[str]] = [[] for _ in range(nranks)]
    for n in ids:
        order[rank[n]].append(n)
    for chain in chains:
        for dmy in chain[1:-1]:
            order[rank_of[dmy]].append(dmy)
    up: dict[str, list[str]] = {n: [] for n in rank_of}      # neighbours one layer above
    down: dict[str, list[str]] = {n: [] for n in rank_of}    # neighbours one layer below
    segs: list[list[tuple[str, str]]] = [[] for _ in range(nranks)]  # segs[r]: r -> r+1
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            down[a].append(b)
            up[b].append(a)
            segs[rank_of[a]].append((a, b))

    def positions() -> list[dict[str, int]]:
        return [{n: i for i, n in enumerate(row)} for row in order]

    def total_crossings(pos: list[dict[str, int]]) -> int:
        return sum(_crossings(pos[r], pos[r + 1], segs[r]) for r in range(nranks - 1))

    pos = positions()
    best, best_order = total_crossings(pos), [list(row) for row in order]
    for sweep in range(SWEEPS):
        if best == 0:
            break
        downward = sweep % 2 == 0
        rs = range(1, nranks) if downward else range(nranks - 2, -1, -1)
        for r in rs:
            ref, nbrs = (pos[r - 1], up) if downward else (pos[r + 1], down)
            cur = pos[r]

            def bary(n: str, ref: dict[str, int] = ref, nbrs: dict = nbrs,
                     cur: dict[str, int] = cur) -> float:
                ns = nbrs[n]
                return sum(ref[m] for m in ns) / len(ns) if ns else float(cur[n])

            order[r].sort(key=bary)
            pos[r] = {n: i for i, n in enumerate(order[r])}
        c = total_crossings(pos)
        if c < best:
            best, best_order = c, [list(row) for row in order]
    order = best_order

    # x coordinates (centres).
    x: dict[str, float] = {}
    for row in order:
        cx = 0.0
        for n in row:
            x[n] = cx + width[n] / 2
            cx += width[n] + NODE_GAP
    widest = max((x[row[-1]] + width[row[-1]] / 2 for row in order if row), default=0.0)
    for row in order:
        if row:
            shift = (widest - (x[row[-1]] + width[row[-1]] / 2)) / 2
            for n in row:
                x[n] += shift

    def place(r: int, sides: tuple[dict[str, list[str]], ...]) -> None:
        row = order[r]
        if not row:
            return
        desired, weights, offsets, off = [], [], [], 0.0
        for i, n in enumerate(row):
            if i:
                off += (width[row[i - 1]] + width[n]) / 2 + NODE_GAP
            offsets.append(off)
            ns = [m for side in sides for m in side[n]]
            desired.append(sum(x[m] for m in ns) / len(ns) if ns else x[n])
            weights.append((1.0 if ns else 0.2) * (2.0 if n.startswith("\x00") else 1.0))
        for n, v in zip(row, _pava(desired, weights, offsets), strict=True):
            x[n] = v

    for it in range(10):
        for r in range(1, nranks):
            place(r, (up,) if it < 6 else (up, down))
        for r in range(nranks - 2, -1, -1):
            place(r, (down,) if it < 6 else (up, down))
    for r in range(1, nranks):          # last: straighten chains below their inputs
        place(r, (up,))

    # y coordinates: each layer as tall as its tallest box; boxes centred in their layer.
    rank_h = [max((sizes[n][1] for n in row if n in sizes), default=0.0) for row in order]
    rank_y, y = [], MARGIN
    for h in rank_h:
        rank_y.append(y)
        y += h + RANK_GAP
    height = y - RANK_GAP + MARGIN

    left = min((x[n] - width[n] / 2 for n in x), default=0.0)
    dx = MARGIN - left
    boxes = {}
    for n in ids:
        w, h = sizes[n]
        r = rank[n]
        boxes[n] = (x[n] + dx - w / 2, rank_y[r] + (rank_h[r] - h) / 2, w, h)
    right = max((x[n] + dx + width[n] / 2 for n in x), default=0.0)

    # Ports: spread a box's edges along its bottom (outgoing) and top (incoming) side, ordered
    # by where the other end goes, so parallel edges (x * x) are drawn side by side.
    out_ports: dict[str, list[int]] = {n: [] for n in ids}
    in_ports: dict[str, list[int]] = {n: [] for n in ids}
    for k, chain in enumerate(chains):
        out_ports[chain[0]].append(k)
        in_ports[chain[-1]].append(k)
    port_x: dict[tuple[int, str], float] = {}
    for n in ids:
        bx, _, bw, _ = boxes[n]
        for side, ks, other in (("out", out_ports[n], 1), ("in", in_ports[n], -2)):
            ks = sorted(ks, key=lambda k, o=other: (x[chains[k][o]], k))
            span = min(bw * 0.7, 14.0 * (len(ks) - 1))
            for i, k in enumerate(ks):
                off = 0.0 if len(ks) == 1 else -span / 2 + span * i / (len(ks) - 1)
                port_x[(k, side)] = bx + bw / 2 + off
    paths = []
    for k, chain in enumerate(chains):
        s, d = chain[0], chain[-1]
        pts = [(port_x[(k, "out")], boxes[s][1] + boxes[s][3])]
        for dmy in chain[1:-1]:
            r = rank_of[dmy]
            pts.append((x[dmy] + dx, rank_y[r]))
            pts.append((x[dmy] + dx, rank_y[r] + rank_h[r]))
        pts.append((port_x[(k, "in")], boxes[d][1]))
        paths.append(pts)
    return Layout(right + MARGIN, height, boxes, paths)
