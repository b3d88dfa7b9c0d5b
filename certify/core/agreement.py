"""What an ISSP confirms when it submits an application: an attestation that what it sent is
true, and its acceptance of the certification agreement. Both texts come from the settings; the
agreement's version and a SHA-256 of exactly what was shown are recorded with the submission, so
the body can later show which text an organisation accepted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    """The texts shown on the submit form, as configured."""

    version: str
    title: str
    text: str
    attestation: str

    @property
    def paragraphs(self) -> list[str]:
        """The agreement's text, one entry per paragraph (blank lines separate them)."""
        return [" ".join(p.split()) for p in self.text.split("\n\n") if p.strip()]

    @property
    def sha256(self) -> str:
        """A digest of what the applicant saw and accepted (title, paragraphs, attestation),
        independent of line wrapping in the settings file."""
        shown = "\n".join([self.version, self.title, *self.paragraphs, self.attestation])
        return hashlib.sha256(shown.encode("utf-8")).hexdigest()
