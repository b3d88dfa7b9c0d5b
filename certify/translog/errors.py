"""The transparency log's error."""

from __future__ import annotations


class LogError(RuntimeError):
    """The log could not do what was asked (a reserved index was taken, no such size...)."""
