"""A realistic certificate snapshot, for tests, benchmarks and previews."""

from __future__ import annotations

import hashlib
from typing import Any


def sample_snapshot(**overrides: Any) -> dict[str, Any]:
    """A realistic certificate snapshot (for tests, benchmarks and previews); keys given in
    *overrides* replace the top-level ones."""
    snapshot: dict[str, Any] = {
        "serial": "ISR-7K2M-9QXD-4HVT-B",
        "holder": {
            "name": "Ngũgĩ Digital Works Ltd",
            "country": "KE",
            "registrationNumber": "PVT-2019-004417",
        },
        "sites": [
            {
                "name": "Nairobi delivery centre",
                "address": "Ngong Road 54, Kilimani, Nairobi 00100",
                "country": "KE",
            },
            {
                "name": "Kisumu training hub",
                "address": "Oginga Odinga Street 12, Kisumu 40100",
                "country": "KE",
            },
        ],
        "scope": (
            "Data annotation, content moderation and multilingual customer support services "
            "delivered from the listed sites, including the recruitment and training of impact "
            "workers."
        ),
        "standard": {
            "id": "ISRPS",
            "version": "1.0",
            "title": "Impact Sourcing Responsible Practice Standard",
            "sha256": hashlib.sha256(b"ISRPS 1.0 sample").hexdigest(),
        },
        "level": "certified_with_distinction",
        "overallScore": "82.50",
        "sectionScores": [
            {"id": "IH", "title": "Inclusive hiring", "weight": "25", "score": "21.25"},
            {"id": "TC", "title": "Training and careers", "weight": "25", "score": "20.00"},
            {"id": "CR", "title": "Community reinvestment", "weight": "20", "score": "16.50"},
            {"id": "FW", "title": "Fair wages and conditions", "weight": "20", "score": "16.75"},
            {"id": "GT", "title": "Governance and measurement", "weight": "10", "score": "8.00"},
        ],
        "validFrom": "2025-03-01T00:00:00Z",
        "validUntil": "2028-02-29T23:59:59Z",
        "issuedOn": "2025-03-01",
        "surveillanceDue": ["2026-03-01", "2027-03-01"],
        "publicUrl": "https://registry.example.org",
        "certificationBody": {
            "legalName": "Impact Sourcing Certification Ltd",
            "address": "14 Riverside Drive, Nairobi 00100, Kenya",
            "accreditation": "Accredited to ISO/IEC 17065 by KENAS, accreditation no. PC-0012",
            "signatory": {"name": "Wanjiru Kamau", "title": "Head of Certification"},
        },
    }
    snapshot.update(overrides)
    return snapshot
