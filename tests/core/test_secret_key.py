"""The secret-key policy: keys published in the repository, short keys and patterned keys are
refused; keys a random generator makes pass."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from certify.core.secret_key import estimated_bits, secret_key_problem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "instance" / "config.example.py"


def test_the_example_configurations_placeholder_is_refused() -> None:
    match = re.search(r'^SECRET_KEY = "([^"]*)"', EXAMPLE_CONFIG.read_text(), re.MULTILINE)
    assert match is not None, "instance/config.example.py no longer sets SECRET_KEY"
    problem = secret_key_problem(match.group(1))
    assert problem is not None and "placeholder" in problem


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "   ",
        "dev",
        "Change-Me",
        "short",
        "q3Xz0vB8mK2pL9wR4tY7uA",  # token_urlsafe(16): 128 bits, not the 32 bytes asked for
        "9f86d081884c7d659a2feaa0c55ad015",  # token_hex(16): 128 bits
        "test-secret-key-that-is-long-enough",
        "my-production-secret-key-for-the-registry-2026",
        "a" * 80,
        "0123456789abcdef" * 4,  # 64 hex characters, all of them a pattern
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "Kx9" + "qwertyui" * 6,
        b"\x00" * 64,
        b"\xff\xfe" * 40,
    ],
)
def test_weak_keys_are_refused(key) -> None:
    assert secret_key_problem(key) is not None


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(48),  # what certify.setup_instance writes
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(32),
        lambda: secrets.token_bytes(32),
    ],
)
def test_keys_made_by_a_random_generator_pass(make) -> None:
    for _ in range(2000):
        key = make()
        assert secret_key_problem(key) is None, key


def test_estimated_bits_uses_the_smallest_alphabet() -> None:
    assert estimated_bits("ab" * 32) == 256  # hex letters: 4 bits each
    assert estimated_bits("") == 0
    assert round(estimated_bits("a" * 43 + "-")) == 264  # base64url: 6 bits each


# -- every key written in the repository is refused ---------------------------------------------

SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
SUFFIXES = {".py", ".md", ".cfg", ".toml", ".txt", ".sh", ".yaml", ".yml", ".json", ".env", ""}
ASSIGNED = re.compile(r"""\w*SECRET\w*["']?\s*[:=]\s*[rb]?["']([^"'\n]*)["']""")
SHELL = re.compile(r"""CERTIFY_SECRET_KEY=([^\s"'`$]+)""")


def repository_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIPPED_DIRS or not path.is_file() or path.suffix not in SUFFIXES:
            continue
        # instance/config.py is local and never committed: it holds the installation's own key
        if path == ROOT / "instance" / "config.py":
            continue
        found.append(path)
    return found


def keys_written_in(text: str) -> list[str]:
    return [m.group(1) for m in ASSIGNED.finditer(text)] + SHELL.findall(text)


def test_the_scan_finds_keys_written_in_every_usual_way() -> None:
    text = (
        'SECRET_KEY = "a"\n"SECRET_KEY": "b",\nCERTIFY_SECRET_KEY="c"\n'
        "export CERTIFY_SECRET_KEY=d\nSECRET = 'e'\n"
    )
    assert sorted(keys_written_in(text)) == ["a", "b", "c", "d", "e"]


def test_no_key_written_in_the_repository_is_accepted() -> None:
    """Any key in a file of the repository (examples, docs, tests, benchmarks) is public: the
    app must refuse it. Code that needs an acceptable key makes one at run time."""
    accepted = [
        f"{path.relative_to(ROOT)}: {key!r}"
        for path in repository_files()
        for key in keys_written_in(path.read_text(encoding="utf-8", errors="replace"))
        if secret_key_problem(key) is None
    ]
    assert accepted == []
    assert EXAMPLE_CONFIG in repository_files()
