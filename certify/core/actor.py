"""Who did something: the actor every operation takes and every audit event names.

Actors are recorded as strings and never hold personal data or IP addresses:
``user:<public id>``, ``cli:<os user>`` or ``system:<component>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ACTOR_RE = re.compile(r"^(user|cli|system):[A-Za-z0-9_.@+\-]{1,100}$")


@dataclass(frozen=True)
class Actor:
    """An acting user, CLI operator or system component."""

    kind: str
    ident: str

    def __post_init__(self) -> None:
        if not _ACTOR_RE.match(f"{self.kind}:{self.ident}"):
            raise ValueError(f"not a valid actor: {self.kind}:{self.ident!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.ident}"

    @classmethod
    def user(cls, public_id: str) -> Actor:
        """The signed-in user with this public id."""
        return cls("user", public_id)

    @classmethod
    def cli(cls, os_user: str) -> Actor:
        """A command run from the shell, named by the operating-system user *os_user* (the
        command line passes ``getpass.getuser()``); characters an actor cannot hold become
        ``_``, and an empty name is ``unknown``."""
        return cls("cli", re.sub(r"[^A-Za-z0-9_.@+\-]", "_", os_user)[:100] or "unknown")

    @classmethod
    def system(cls, component: str) -> Actor:
        """certify itself (e.g. a scheduled expiry job)."""
        return cls("system", component)

    @classmethod
    def parse(cls, text: str) -> Actor:
        """Parse ``kind:ident``; raises ValueError when malformed."""
        kind, _, ident = text.partition(":")
        return cls(kind, ident)
