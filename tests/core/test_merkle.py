"""Merkle math: transparency-dev/merkle vectors, a naive RFC 9162 model, tampering, cost."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.core.tlog import merkle
from certify.core.tlog.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    MerkleError,
    consistency_proof,
    evaluate,
    inclusion_proof,
    leaf_hash,
    needed_nodes,
    node_hash,
    nodes_to_store_on_append,
    plan_consistency,
    plan_inclusion,
    plan_root,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).parent / "data" / "merkle"

# The reference tree of transparency-dev/merkle testonly/constants.go (the RFC 6962 /
# certificate-transparency 8-leaf test tree): its leaf inputs, and roots by size.
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
REFERENCE_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
# Complete subtree hashes of that tree (NodeHashes() in constants.go), level by level.
REFERENCE_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _load(kind: str) -> list[tuple[str, dict]]:
    cases = []
    for path in sorted((DATA / kind).rglob("*.json")):
        raw = json.loads(path.read_text())
        cases.append((str(path.relative_to(DATA)), raw))
    return cases


INCLUSION_FILES = _load("inclusion")
CONSISTENCY_FILES = _load("consistency")


def _inclusion_args(raw: dict) -> tuple[bytes, int, int, list[bytes], bytes]:
    # Older vector files spell the index "leafIndex", newer ones "leafIdx".
    index = raw["leafIdx"] if "leafIdx" in raw else raw["leafIndex"]
    proof = [_b64(p) for p in raw["proof"] or []]
    return _b64(raw["leafHash"]), index, raw["treeSize"], proof, _b64(raw["root"])


def _consistency_args(raw: dict) -> tuple[int, int, bytes, bytes, list[bytes]]:
    proof = [_b64(p) for p in raw["proof"] or []]
    return raw["size1"], raw["size2"], _b64(raw["root1"]), _b64(raw["root2"]), proof


@pytest.fixture(scope="module")
def reference_tree() -> MemoryTree:
    return MemoryTree(leaf_hash(leaf) for leaf in REFERENCE_LEAVES)


# --- hashing and the reference tree ---------------------------------------------------------


def test_hash_primitives_follow_rfc9162() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"") == REFERENCE_ROOTS[1]
    assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")) == REFERENCE_ROOTS[2]
    assert leaf_hash(b"a") != node_hash(b"", b"a")  # domain separation


def test_memory_tree_stores_exactly_the_reference_nodes(reference_tree: MemoryTree) -> None:
    assert [[h.hex() for h in level] for level in reference_tree.levels] == REFERENCE_NODES


def test_roots_match_the_reference_tree_at_every_size(reference_tree: MemoryTree) -> None:
    for size, expected in enumerate(REFERENCE_ROOTS):
        assert reference_tree.root_hash(size) == expected


# --- transparency-dev/merkle vectors --------------------------------------------------------


@pytest.mark.parametrize(("name", "raw"), INCLUSION_FILES, ids=[n for n, _ in INCLUSION_FILES])
def test_inclusion_vectors(name: str, raw: dict) -> None:
    assert verify_inclusion(*_inclusion_args(raw)) is (not raw["wantErr"])


@pytest.mark.parametrize(("name", "raw"), CONSISTENCY_FILES, ids=[n for n, _ in CONSISTENCY_FILES])
def test_consistency_vectors(name: str, raw: dict) -> None:
    assert verify_consistency(*_consistency_args(raw)) is (not raw["wantErr"])


def test_vector_files_are_present() -> None:
    happy = [n for n, raw in INCLUSION_FILES + CONSISTENCY_FILES if not raw["wantErr"]]
    assert len(INCLUSION_FILES) >= 20
    assert len(CONSISTENCY_FILES) >= 20
    assert len(happy) >= 10


HAPPY_INCLUSION = [(n, r) for n, r in INCLUSION_FILES if r["desc"] == "happy path"]
HAPPY_CONSISTENCY = [(n, r) for n, r in CONSISTENCY_FILES if r["desc"] == "happy path"]
NONTRIVIAL_CONSISTENCY = [(n, r) for n, r in HAPPY_CONSISTENCY if r["proof"]]


@pytest.mark.parametrize(("name", "raw"), HAPPY_INCLUSION, ids=[n for n, _ in HAPPY_INCLUSION])
def test_generated_inclusion_proofs_equal_the_vectors(
    name: str, raw: dict, reference_tree: MemoryTree
) -> None:
    leaf, index, size, proof, root = _inclusion_args(raw)
    assert reference_tree.get_node(0, index) == leaf
    assert reference_tree.inclusion_proof(index, size) == proof
    assert reference_tree.root_hash(size) == root


@pytest.mark.parametrize(("name", "raw"), HAPPY_CONSISTENCY, ids=[n for n, _ in HAPPY_CONSISTENCY])
def test_generated_consistency_proofs_equal_the_vectors(
    name: str, raw: dict, reference_tree: MemoryTree
) -> None:
    size1, size2, root1, root2, proof = _consistency_args(raw)
    assert reference_tree.consistency_proof(size1, size2) == proof
    assert (reference_tree.root_hash(size1), reference_tree.root_hash(size2)) == (root1, root2)


def _flip(h: bytes, bit: int) -> bytes:
    return bytes([h[0] ^ bit]) + h[1:]


def _corrupted_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes):
    """Every corruption proofgen (cmd/proofgen/main.go) writes, for any happy path."""
    yield index - 1, size, root, leaf, proof
    yield index + 1, size, root, leaf, proof
    yield index ^ 2, size, root, leaf, proof
    yield index, size * 2, root, leaf, proof
    yield index, size // 2, root, leaf, proof
    yield index, size, root, b"WrongLeaf", proof
    yield index, size, EMPTY_ROOT, leaf, proof
    yield index, size, SOME_HASH, leaf, proof
    yield index, size, root, leaf, [*proof, b""]
    yield index, size, root, leaf, [*proof, root]
    yield index, size, root, leaf, [b"", *proof]
    yield index, size, root, leaf, [root, *proof]
    for i in range(len(proof)):
        yield index, size, root, leaf, [*proof[:i], _flip(proof[i], 8), *proof[i + 1 :]]
    if proof:
        yield index, size, root, leaf, proof[:-1]
    if len(proof) > 1:
        yield index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]


@pytest.mark.parametrize(("name", "raw"), HAPPY_INCLUSION, ids=[n for n, _ in HAPPY_INCLUSION])
def test_every_proofgen_corruption_of_inclusion_fails(name: str, raw: dict) -> None:
    leaf, index, size, proof, root = _inclusion_args(raw)
    for i, s, r, lf, p in _corrupted_inclusion(leaf, index, size, proof, root):
        assert not verify_inclusion(lf, i, s, p, r), (i, s, r, lf, p)


@pytest.mark.parametrize(
    ("name", "raw"), NONTRIVIAL_CONSISTENCY, ids=[n for n, _ in NONTRIVIAL_CONSISTENCY]
)
def test_every_proofgen_corruption_of_consistency_fails(name: str, raw: dict) -> None:
    # proofgen corrupts only non-trivial proofs (sizes differ, proof not empty).
    s1, s2, r1, r2, proof = _consistency_args(raw)
    cases = [
        (s1 - 1, s2, r1, r2, proof),
        (s1 + 1, s2, r1, r2, proof),
        (s1 ^ 2, s2, r1, r2, proof),
        (s1, s2 * 2, r1, r2, proof),
        (s1, s2 // 2, r1, r2, proof),
        (s1, s2, b"WrongRoot", r2, proof),
        (s1, s2, r1, b"WrongRoot", proof),
        (s1, s2, r2, r1, proof),
        (s1, s2, r1, r2, []),
        (s1, s2, r1, r2, [*proof, b""]),
        (s1, s2, r1, r2, [*proof, r1]),
        (s1, s2, r1, r2, [*proof, r2]),
        (s1, s2, r1, r2, [b"", *proof]),
        (s1, s2, r1, r2, [r1, *proof]),
        (s1, s2, r1, r2, [r2, *proof]),
        (s1, s2, r1, r2, [proof[0], *proof]),
        (s1, s2, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        cases.append((s1, s2, r1, r2, [*proof[:i], _flip(proof[i], 16), *proof[i + 1 :]]))
    for case in cases:
        assert not verify_consistency(*case), case


# --- a naive RFC 9162 model (section 2.1, written from the text) ----------------------------


def naive_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [naive_mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], b), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_mth(leaves[:k])]


def _entries(n: int) -> list[bytes]:
    return [b"entry-%d" % i for i in range(n)]


@pytest.fixture(scope="module")
def big_tree() -> tuple[list[bytes], MemoryTree]:
    entries = _entries(300)
    return entries, MemoryTree(leaf_hash(e) for e in entries)


class CountingGet:
    """A get_node that counts its calls."""

    def __init__(self, tree: MemoryTree) -> None:
        self.tree = tree
        self.calls = 0

    def __call__(self, level: int, index: int) -> bytes:
        self.calls += 1
        return self.tree.get_node(level, index)


def _budget(n: int) -> int:
    return 2 * math.ceil(math.log2(n)) + 2 if n > 1 else 2


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_inclusion_proofs_match_the_naive_model(data, big_tree) -> None:
    entries, tree = big_tree
    size = data.draw(st.integers(1, len(entries)))
    index = data.draw(st.integers(0, size - 1))
    counting = CountingGet(tree)
    proof = inclusion_proof(index, size, counting)
    assert counting.calls <= _budget(size)
    assert proof == naive_path(index, entries[:size])
    root = naive_mth(entries[:size])
    assert root_hash(size, tree.get_node) == root
    assert verify_inclusion(leaf_hash(entries[index]), index, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_consistency_proofs_match_the_naive_model(data, big_tree) -> None:
    entries, tree = big_tree
    new = data.draw(st.integers(1, len(entries)))
    old = data.draw(st.integers(1, new))
    counting = CountingGet(tree)
    proof = consistency_proof(old, new, counting)
    assert counting.calls <= _budget(new)
    assert proof == naive_subproof(old, entries[:new], True)
    old_root, new_root = naive_mth(entries[:old]), naive_mth(entries[:new])
    assert verify_consistency(old, new, old_root, new_root, proof)


def _sides(index: int, size: int) -> list[bool] | None:
    """For each inclusion proof hash: does it sit left of the path? None: no such leaf."""
    if not 0 <= index < size:
        return None
    return [(item[0][1] << item[0][0]) < index for item in plan_inclusion(index, size)]


def _consistency_shape(old: int, new: int) -> tuple | None:
    if not 0 < old < new:
        return None
    return (old & -old, _sides(old - 1, new))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_tampering_breaks_inclusion(data, big_tree) -> None:
    entries, tree = big_tree
    size = data.draw(st.integers(1, len(entries)))
    index = data.draw(st.integers(0, size - 1))
    proof, root, leaf = (
        tree.inclusion_proof(index, size),
        tree.root_hash(size),
        tree.levels[0][index],
    )
    assert verify_inclusion(leaf, index, size, proof, root)
    byte = data.draw(st.integers(0, 31))
    bit = 1 << data.draw(st.integers(0, 7))

    def flip(h: bytes) -> bytes:
        return h[:byte] + bytes([h[byte] ^ bit]) + h[byte + 1 :]

    assert not verify_inclusion(flip(leaf), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_inclusion(
            leaf, index, size, [*proof[:i], flip(proof[i]), *proof[i + 1 :]], root
        )
    # Index and size only steer which side each proof hash goes; a wrong claim verifies
    # only where it steers exactly as the true one (the signed checkpoint pins the size).
    other_index = data.draw(st.integers(0, 2 * size).filter(lambda v: v != index))
    if verify_inclusion(leaf, other_index, size, proof, root):
        assert _sides(other_index, size) == _sides(index, size)
    other_size = data.draw(st.integers(0, 2 * len(entries)).filter(lambda v: v != size))
    if verify_inclusion(leaf, index, other_size, proof, root):
        assert _sides(index, other_size) == _sides(index, size)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_tampering_breaks_consistency(data, big_tree) -> None:
    entries, tree = big_tree
    new = data.draw(st.integers(2, len(entries)))
    old = data.draw(st.integers(1, new - 1))
    proof = tree.consistency_proof(old, new)
    r1, r2 = tree.root_hash(old), tree.root_hash(new)
    assert verify_consistency(old, new, r1, r2, proof)
    byte = data.draw(st.integers(0, 31))

    def flip(h: bytes) -> bytes:
        return h[:byte] + bytes([h[byte] ^ 1]) + h[byte + 1 :]

    i = data.draw(st.integers(0, len(proof) - 1))
    assert not verify_consistency(old, new, r1, r2, [*proof[:i], flip(proof[i]), *proof[i + 1 :]])
    assert not verify_consistency(old, new, flip(r1), r2, proof)
    assert not verify_consistency(old, new, r1, flip(r2), proof)
    other_old = data.draw(st.integers(0, new).filter(lambda v: v != old))
    if verify_consistency(other_old, new, r1, r2, proof):
        assert _consistency_shape(other_old, new) == _consistency_shape(old, new)
    other_new = data.draw(st.integers(old, 2 * len(entries)).filter(lambda v: v != new))
    if verify_consistency(old, other_new, r1, r2, proof):
        assert _consistency_shape(old, other_new) == _consistency_shape(old, new)
    assert not verify_consistency(old, new, r1, r2, proof[:-1])
    assert not verify_consistency(old, new, r1, r2, [*proof, proof[-1]])


# --- storage contract -----------------------------------------------------------------------


def test_append_reads_only_the_left_siblings_and_stores_complete_subtrees() -> None:
    tree = MemoryTree()
    for i in range(70):
        counting = CountingGet(tree)
        rows = nodes_to_store_on_append(tree.size, leaf_hash(b"%d" % i), counting)
        trailing_ones = (~i & (i + 1)).bit_length() - 1
        assert counting.calls == trailing_ones == len(rows) - 1
        assert [(lvl, idx) for lvl, idx, _ in rows[1:]] == [
            (lvl + 1, i >> (lvl + 1)) for lvl in range(trailing_ones)
        ]
        assert [(lvl, idx) for lvl, idx in merkle.append_needed_nodes(i)] == [
            (lvl, (i >> lvl) - 1) for lvl in range(trailing_ones)
        ]
        tree.append(leaf_hash(b"%d" % i))
    # Node (l, i) is stored iff it is complete at size 70.
    for level, hashes in enumerate(tree.levels):
        assert len(hashes) == 70 >> level


def test_batch_plans_agree_with_callbacks(big_tree) -> None:
    _, tree = big_tree
    for plan in (plan_root(300), plan_inclusion(123, 257), plan_consistency(77, 300)):
        keys = needed_nodes(plan)
        fetched = {key: tree.get_node(*key) for key in keys}  # "one query"
        assert evaluate(plan, merkle.mapping_getter(fetched)) == evaluate(plan, tree.get_node)
        assert len(keys) <= _budget(300)


def test_missing_node_surfaces_the_storage_error() -> None:
    with pytest.raises(KeyError):
        root_hash(3, merkle.mapping_getter({}))


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (inclusion_proof, (0, 0)),
        (inclusion_proof, (5, 5)),
        (inclusion_proof, (-1, 5)),
        (inclusion_proof, (True, 5)),
        (inclusion_proof, ("1", 5)),
        (consistency_proof, (0, 5)),
        (consistency_proof, (6, 5)),
        (consistency_proof, (1, 2**64)),
        (root_hash, (-1,)),
        (root_hash, (1.5,)),
    ],
)
def test_bad_generation_arguments_raise_merkle_error(call, args) -> None:
    with pytest.raises(MerkleError):
        call(*args, MemoryTree([leaf_hash(b"x")] * 5).get_node)


def test_trivial_cases() -> None:
    tree = MemoryTree([leaf_hash(b"only")])
    assert root_hash(0, tree.get_node) == EMPTY_ROOT
    assert tree.inclusion_proof(0) == []
    assert tree.consistency_proof(1, 1) == []
    assert verify_inclusion(leaf_hash(b"only"), 0, 1, [], leaf_hash(b"only"))
    with pytest.raises(MerkleError):
        nodes_to_store_on_append(1, b"short", tree.get_node)


@pytest.mark.parametrize(
    "args",
    [
        (None, 0, 1, [], b"x" * 32),
        (b"x" * 32, None, 1, [], b"x" * 32),
        (b"x" * 32, 0, "1", [], b"x" * 32),
        (b"x" * 32, 0, 1, None, b"x" * 32),
        (b"x" * 32, 0, 1, [None], b"x" * 32),
        (b"x" * 32, 0, 1, "abc", b"x" * 32),
        (b"x" * 32, 0, 2**70, [b"y" * 32], b"x" * 32),
        (b"x" * 32, 0, 2, [b"y" * 32] * 1000, b"x" * 32),
        ("x" * 32, 0, 1, [], "x" * 32),
    ],
)
def test_verify_inclusion_never_raises(args) -> None:
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize(
    "args",
    [
        (1, 2, None, b"x" * 32, [b"y" * 32]),
        (1, 2, b"x" * 32, b"x" * 32, None),
        (1, 2, b"x" * 32, b"x" * 32, [1]),
        (-1, 2, b"x" * 32, b"x" * 32, [b"y" * 32]),
        (1, 2**70, b"x" * 32, b"x" * 32, [b"y" * 32]),
        (3, 2**40, b"x" * 32, b"x" * 32, [b"y" * 32] * 1000),
        (False, True, b"x" * 32, b"x" * 32, []),
    ],
)
def test_verify_consistency_never_raises(args) -> None:
    assert verify_consistency(*args) is False
