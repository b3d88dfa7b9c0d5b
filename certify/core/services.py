"""The kinds of work an ISSP is certified for, as the registry's service filter knows them.

An application's scope names its services in the applicant's own words ("Data entry,
transcription and content moderation"); the registry finds each kind below by the phrases
people use for it, so a client can ask for "every certified transcription provider".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

#: key → (label, phrases that name it in a scope; matched as whole words, any case or accent)
SERVICES: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "data-entry": ("Data entry", ("data entry", "data capture", "data processing")),
        "transcription": ("Transcription", ("transcription", "transcribing", "captioning")),
        "content-moderation": ("Content moderation", ("content moderation", "moderation")),
        "data-annotation": (
            "Data annotation",
            ("annotation", "data labelling", "data labeling", "image tagging", "labelling"),
        ),
        "contact-centre": (
            "Contact centre",
            (
                "contact centre",
                "contact center",
                "call centre",
                "call center",
                "customer support",
                "customer service",
                "helpdesk",
                "help desk",
            ),
        ),
        "software": (
            "Software and testing",
            ("software", "web development", "app development", "testing", "quality assurance"),
        ),
        "translation": ("Translation", ("translation", "localisation", "localization")),
        "digitisation": ("Digitisation", ("digitisation", "digitization", "scanning")),
    }
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " " + " ".join(re.findall(r"\w+", letters)) + " "


def services_in(scope: str | None) -> list[str]:
    """The service keys a scope text names, in the order of :data:`SERVICES`."""
    text = _fold(scope or "")
    return [
        key
        for key, (_label, phrases) in SERVICES.items()
        if any(_fold(phrase) in text for phrase in phrases)
    ]


def service_label(key: str) -> str:
    return SERVICES[key][0] if key in SERVICES else key
