"""The transparency log's format errors: one base class, so a verifier can turn any failure
into a plain "not verified"."""

from __future__ import annotations


class NoteError(ValueError):
    """A note, key, checkpoint, tlog proof or log entry is malformed or fails to verify."""


class CheckpointError(NoteError):
    """A checkpoint text does not follow C2SP tlog-checkpoint."""


class TlogProofError(NoteError):
    """A tlog proof is malformed, or its checkpoint, origin or inclusion proof fails."""


class LogEntryError(NoteError):
    """A log entry's fields are missing, out of place or malformed."""
