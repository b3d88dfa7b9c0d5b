"""What every operation shares: the error it raises when a rule refuses the change."""

from __future__ import annotations


class OperationError(Exception):
    """A business rule refused the change. ``message`` is for the person; ``field`` names the
    form field it concerns, if any. Nothing has been written when this is raised (the request
    rolls back)."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        code: str = "refused",
        details: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        #: (where, message) pairs, e.g. one per bad criterion answer
        self.details = details or []
