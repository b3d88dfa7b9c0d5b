"""Merkle tree math for the transparency log (RFC 9162 section 2.1, SHA-256).

Pure functions, no storage. The log stores, for every *complete* perfect subtree, its hash
keyed by ``(level, index)``: level 0 holds the leaf hashes, and node ``(level, i)`` covers the
leaves ``[i * 2**level, (i + 1) * 2**level)``. Any RFC 9162 tree hash, inclusion proof or
consistency proof is a right fold of a few of those stored nodes, because every subtree the
RFC's recursive definitions (MTH, PATH, SUBPROOF) touch splits into at most ``log2(n)`` perfect
subtrees.

Two ways to use the storage-based functions:

* with a callback: ``inclusion_proof(index, size, get_node)`` calls ``get_node(level, index)``
  O(log n) times;
* in batch, for a database: ``plan = plan_inclusion(index, size)``, fetch
  ``needed_nodes(plan)`` in one query, then ``evaluate(plan, mapping.__getitem__)``.

Both paths run the same plan, so they cannot disagree.

Verification (``verify_inclusion``, ``verify_consistency``) needs no storage, follows RFC 9162
sections 2.1.3.2 and 2.1.4.2 literally, and never raises: any malformed input is ``False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

HASH_SIZE = 32
"""Bytes in every node hash (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string (RFC 9162 section 2.1.1)."""

MAX_TREE_SIZE = 2**63
"""Largest tree size accepted; keeps every index inside the uint64 range other tools use."""

NodeKey = tuple[int, int]
"""``(level, index)`` of a complete perfect subtree."""

GetNode = Callable[[int, int], bytes]
"""Storage callback: the stored hash of complete node ``(level, index)``."""

Plan = tuple[tuple[NodeKey, ...], ...]
"""A computation as data: each item is the right fold of these nodes' hashes."""


class MerkleError(ValueError):
    """A proof or root was requested for arguments that describe no such tree position."""


def leaf_hash(entry: bytes) -> bytes:
    """Return SHA-256(0x00 || entry), the RFC 9162 hash of a leaf holding *entry*."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the RFC 9162 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


# --------------------------------------------------------------------------------------------
# Planning: which stored nodes a computation needs.


def _is_size(value: Any) -> bool:
    # bool is an int subclass; True must not pass as a tree size of 1.
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TREE_SIZE


def _check_size(name: str, value: Any) -> int:
    if not _is_size(value):
        raise MerkleError(f"{name} must be an integer between 0 and 2**63, got {value!r}")
    return int(value)


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two strictly smaller than *n* (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_nodes(start: int, end: int) -> tuple[NodeKey, ...]:
    """The perfect subtrees, left to right, whose right fold is MTH(D[start:end]).

    Only valid for the ranges RFC 9162's recursion produces: *start* is a multiple of a
    power of two at least as large as ``end - start``, so greedy decomposition yields
    strictly decreasing subtree sizes, which is exactly the RFC tree's shape.
    """
    nodes: list[NodeKey] = []
    while start < end:
        # Largest aligned power of two that starts at `start` and fits before `end`.
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return tuple(nodes)


def plan_root(size: int) -> Plan:
    """Plan for the root hash of the tree of *size* leaves (one item; none for size 0).

    Raises:
        MerkleError: *size* is not an integer in ``[0, 2**63]``.
    """
    size = _check_size("size", size)
    return (_range_nodes(0, size),) if size else ()


def plan_inclusion(index: int, size: int) -> Plan:
    """Plan for the inclusion proof of leaf *index* in the tree of *size* leaves.

    Follows PATH(m, D[n]) of RFC 9162 section 2.1.3.1; items come in proof order (from the
    leaf's sibling up to the root's child).

    Raises:
        MerkleError: unless ``0 <= index < size <= 2**63``.
    """
    size = _check_size("size", size)
    index = _check_size("index", index)
    if index >= size:
        raise MerkleError(f"leaf index {index} is not in a tree of size {size}")
    items: list[tuple[NodeKey, ...]] = []
    # Walk PATH(m, D[lo:hi]) top-down; collect the sibling subtree of each step, then
    # reverse, because the RFC appends the upper sibling after the lower part of the path.
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            items.append(_range_nodes(lo + k, hi))
            hi = lo + k
        else:
            items.append(_range_nodes(lo, lo + k))
            lo += k
    items.reverse()
    return tuple(items)


def plan_consistency(old_size: int, new_size: int) -> Plan:
    """Plan for the consistency proof between tree sizes *old_size* and *new_size*.

    Follows PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 section 2.1.4.1. The proof
    between equal sizes is empty.

    Raises:
        MerkleError: unless ``0 < old_size <= new_size <= 2**63`` (a proof from the empty
            tree proves nothing, and RFC 9162 does not define one).
    """
    old_size = _check_size("old_size", old_size)
    new_size = _check_size("new_size", new_size)
    if old_size == 0:
        raise MerkleError("there is no consistency proof from the empty tree")
    if old_size > new_size:
        raise MerkleError(f"old size {old_size} is larger than new size {new_size}")
    items: list[tuple[NodeKey, ...]] = []
    # SUBPROOF(m, D[lo:hi], b), unrolled; m counts leaves from lo.
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            items.append(_range_nodes(lo + k, hi))
            hi = lo + k
        else:
            items.append(_range_nodes(lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        # SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree's last subtree.
        items.append(_range_nodes(lo, hi))
    items.reverse()
    return tuple(items)


def needed_nodes(plan: Plan) -> list[NodeKey]:
    """The distinct node keys *plan* reads, sorted, to fetch from storage in one query."""
    return sorted({key for item in plan for key in item})


def mapping_getter(nodes: Mapping[NodeKey, bytes]) -> GetNode:
    """Adapt ``{(level, index): hash}`` (e.g. one query's rows) to a ``get_node`` callback.

    The callback raises ``KeyError`` for a node the mapping lacks.
    """

    def get_node(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    return get_node


def evaluate(plan: Plan, get_node: GetNode) -> list[bytes]:
    """Compute *plan*'s hashes, reading each needed node through *get_node* exactly once.

    Raises:
        Whatever *get_node* raises for a missing node (e.g. ``KeyError``).
    """
    cache: dict[NodeKey, bytes] = {}
    out: list[bytes] = []
    for item in plan:
        acc: bytes | None = None
        for key in reversed(item):
            if key not in cache:
                cache[key] = get_node(*key)
            acc = cache[key] if acc is None else node_hash(cache[key], acc)
        assert acc is not None  # planners never emit empty items
        out.append(acc)
    return out


def root_hash(size: int, get_node: GetNode) -> bytes:
    """Return MTH of the first *size* leaves, with at most popcount(size) node reads.

    Raises:
        MerkleError: *size* is not an integer in ``[0, 2**63]``.
    """
    values = evaluate(plan_root(size), get_node)
    return values[0] if values else EMPTY_ROOT


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """Return the RFC 9162 inclusion proof of leaf *index* in the tree of *size* leaves.

    Reads at most ``2 * ceil(log2(size))`` nodes.

    Raises:
        MerkleError: unless ``0 <= index < size <= 2**63``.
    """
    return evaluate(plan_inclusion(index, size), get_node)


def consistency_proof(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """Return the RFC 9162 consistency proof from *old_size* to *new_size*.

    Reads at most ``2 * ceil(log2(new_size))`` nodes.

    Raises:
        MerkleError: unless ``0 < old_size <= new_size <= 2**63``.
    """
    return evaluate(plan_consistency(old_size, new_size), get_node)


def append_needed_nodes(size_before: int) -> list[NodeKey]:
    """Nodes ``nodes_to_store_on_append(size_before, ...)`` will read (the left siblings)."""
    size_before = _check_size("size_before", size_before)
    keys: list[NodeKey] = []
    level, index = 0, size_before
    while index & 1:
        keys.append((level, index - 1))
        level, index = level + 1, index >> 1
    return keys


def nodes_to_store_on_append(
    size_before: int, new_leaf_hash: bytes, get_node: GetNode
) -> list[tuple[int, int, bytes]]:
    """Return the ``(level, index, hash)`` rows that appending one leaf completes.

    The new leaf is ``(0, size_before)``; each time the new node is a right child, its
    parent becomes complete too. That is ``1 + trailing_ones(size_before)`` rows, from
    ``len(append_needed_nodes(size_before))`` reads of left siblings.

    Raises:
        MerkleError: *size_before* is out of range or *new_leaf_hash* is not 32 bytes.
    """
    size_before = _check_size("size_before", size_before)
    if size_before >= MAX_TREE_SIZE:
        raise MerkleError("the tree is full")
    if not isinstance(new_leaf_hash, bytes) or len(new_leaf_hash) != HASH_SIZE:
        raise MerkleError("a leaf hash is 32 bytes")
    rows = [(0, size_before, new_leaf_hash)]
    level, index, current = 0, size_before, new_leaf_hash
    while index & 1:
        current = node_hash(get_node(level, index - 1), current)
        level, index = level + 1, index >> 1
        rows.append((level, index, current))
    return rows


class MemoryTree:
    """An in-memory log storing every complete subtree hash, for tests and benchmarks.

    ``levels[l][i]`` is node ``(l, i)``. It implements the same storage contract the
    database does, so code written against ``get_node`` runs unchanged on either.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = []
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self.levels[0]) if self.levels else 0

    def get_node(self, level: int, index: int) -> bytes:
        """Stored hash of complete node ``(level, index)``.

        Raises:
            KeyError: no such complete node.
        """
        if level < 0 or index < 0 or level >= len(self.levels) or index >= len(self.levels[level]):
            raise KeyError((level, index))
        return self.levels[level][index]

    def append(self, new_leaf_hash: bytes) -> int:
        """Append a leaf by its hash; return its index."""
        index = self.size
        for level, i, h in nodes_to_store_on_append(index, new_leaf_hash, self.get_node):
            if level == len(self.levels):
                self.levels.append([])
            assert i == len(self.levels[level])  # append-only: rows always extend a level
            self.levels[level].append(h)
        return index

    def append_entry(self, entry: bytes) -> int:
        """Append a leaf holding *entry*; return its index."""
        return self.append(leaf_hash(entry))

    def root_hash(self, size: int | None = None) -> bytes:
        """Root of the tree's first *size* leaves (default: all)."""
        return root_hash(self.size if size is None else size, self.get_node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Inclusion proof of leaf *index* at *size* (default: current size)."""
        return inclusion_proof(index, self.size if size is None else size, self.get_node)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Consistency proof from *old_size* to *new_size* (default: current size)."""
        return consistency_proof(
            old_size, self.size if new_size is None else new_size, self.get_node
        )


# --------------------------------------------------------------------------------------------
# Verification: RFC 9162 sections 2.1.3.2 and 2.1.4.2, never raising.


def _hashes_ok(values: Any) -> bool:
    return isinstance(values, Sequence) and all(
        isinstance(v, bytes) and len(v) == HASH_SIZE for v in values
    )


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff *proof* shows the leaf with hash *leaf_hash* at *index* in the tree *root*.

    *root* is the root hash of the tree of *size* leaves. Any malformed argument (wrong
    types, hashes that are not 32 bytes, ``index >= size``, a proof of the wrong length)
    gives ``False``; this function does not raise.
    """
    try:
        if not (_is_size(index) and _is_size(size) and index < size):
            return False
        if not (_hashes_ok([leaf_hash, root]) and _hashes_ok(proof)):
            return False
        if len(proof) > 64:
            return False
        fn, sn, r = index, size - 1, leaf_hash
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = node_hash(p, r)
                if not fn & 1:
                    while not fn & 1 and fn != 0:
                        fn, sn = fn >> 1, sn >> 1
            else:
                r = node_hash(r, p)
            fn, sn = fn >> 1, sn >> 1
        return sn == 0 and r == root
    except Exception:  # a verifier must not crash on hostile input
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff *proof* shows the tree *new_root* (size *new_size*) extends *old_root*.

    Equal sizes need an empty proof and byte-equal roots (nothing more is checked there, as
    in the reference implementation). A proof from size 0 is always ``False``: every tree
    extends the empty tree, so such a "proof" proves nothing. Malformed input gives
    ``False``; this function does not raise.
    """
    try:
        if not (_is_size(old_size) and _is_size(new_size)) or old_size > new_size:
            return False
        if not (isinstance(old_root, bytes) and isinstance(new_root, bytes)):
            return False
        if not _hashes_ok(proof):
            return False
        if old_size == new_size:
            return len(proof) == 0 and old_root == new_root
        if old_size == 0 or len(proof) == 0 or len(proof) > 64:
            return False
        if not _hashes_ok([old_root, new_root]):
            return False
        path = list(proof)
        if old_size & (old_size - 1) == 0:  # an exact power of two
            path.insert(0, old_root)
        fn, sn = old_size - 1, new_size - 1
        while fn & 1:
            fn, sn = fn >> 1, sn >> 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                if not fn & 1:
                    while not fn & 1 and fn != 0:
                        fn, sn = fn >> 1, sn >> 1
            else:
                sr = node_hash(sr, c)
            fn, sn = fn >> 1, sn >> 1
        return sn == 0 and fr == old_root and sr == new_root
    except Exception:  # a verifier must not crash on hostile input
        return False
