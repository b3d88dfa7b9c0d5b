"""``make run`` names the address it serves on (issue 20): ``PORT=8000 make run`` puts
``http://127.0.0.1:8000`` into QR codes, links, did:web and status lists, unless
``CERTIFY_PUBLIC_URL`` or ``PUBLIC_URL`` in ``instance/config.py`` says otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def dry_run(folder: Path, *args: str, **env: str) -> list[str]:
    """The commands ``make run`` would run in *folder* (a copy of the Makefile), not run."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed (it runs the whole suite)")
    shutil.copy(MAKEFILE, folder / "Makefile")
    for name in ("setup.cfg", "pyproject.toml"):  # prerequisites of the virtualenv's target
        (folder / name).touch()
    environ = {k: v for k, v in os.environ.items() if k != "CERTIFY_PUBLIC_URL"} | env
    done = subprocess.run(
        [make, "-n", "run", *args],
        cwd=folder,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "--app certify" in line]


def test_port_8000_gives_a_public_url_on_port_8000(tmp_path) -> None:
    commands = dry_run(tmp_path, "PORT=8000")
    assert commands and all("CERTIFY_PUBLIC_URL=http://127.0.0.1:8000 " in c for c in commands)
    assert any("run --host 127.0.0.1 --port 8000" in c for c in commands)


def test_a_wildcard_host_names_loopback(tmp_path) -> None:
    commands = dry_run(tmp_path, "HOST=0.0.0.0", "PORT=8001")
    assert all("CERTIFY_PUBLIC_URL=http://127.0.0.1:8001 " in c for c in commands)


def test_a_configured_public_url_is_left_alone(tmp_path) -> None:
    commands = dry_run(tmp_path, "PORT=8000", CERTIFY_PUBLIC_URL="https://registry.example.org")
    assert commands and not any("CERTIFY_PUBLIC_URL=" in c for c in commands)
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text('PUBLIC_URL = "https://r.example.org"\n')
    commands = dry_run(tmp_path, "PORT=8000")
    assert commands and not any("CERTIFY_PUBLIC_URL=" in c for c in commands)
