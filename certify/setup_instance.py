"""Create ``instance/config.py`` with a random secret key when it does not exist yet.

Runs before the app can start (the app refuses to start without a real secret key), so it
imports nothing from Flask. ``make run`` calls it; so can a person:
``python -m certify.setup_instance [INSTANCE_DIR]``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# certify instance configuration: local to this machine, never committed.
# Every setting can also come from a CERTIFY_<NAME> environment variable, which wins.
# See config.example.py beside this file for all settings.

SECRET_KEY = "{secret}"
"""


def ensure_instance_config(instance_dir: str | os.PathLike[str]) -> tuple[Path, bool]:
    """Write ``config.py`` with a fresh secret into *instance_dir* unless one exists.

    Returns the path and whether it was created. The file is readable by its owner only.
    """
    folder = Path(instance_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.py"
    if path.exists():
        return path, False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(TEMPLATE.format(secret=secrets.token_urlsafe(48)))
    return path, True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    default = (
        os.environ.get("CERTIFY_INSTANCE_PATH")
        or Path(__file__).resolve().parent.parent / "instance"
    )
    path, created = ensure_instance_config(args[0] if args else default)
    print(f"{'created' if created else 'kept existing'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
