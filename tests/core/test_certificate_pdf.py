"""The certificate page: layout geometry, glyph coverage, QR code, determinism, metadata."""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import unicodedata
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader

from certify.certificates.fonts import FONT_SEARCH_DIRS, FontNotFoundError, find_fonts
from certify.core.pdf.certificate.drawing import render_certificate
from certify.core.pdf.certificate.fonts import missing_glyphs
from certify.core.pdf.certificate.layout import layout_certificate
from certify.core.pdf.certificate.model import (
    ASCENT as _ASCENT,
)
from certify.core.pdf.certificate.model import (
    DESCENT as _DESCENT,
)
from certify.core.pdf.certificate.model import (
    MARGIN,
    CertificateDataError,
    CertificateLayout,
)
from certify.core.pdf.certificate.sample import sample_snapshot
from tests.core.tools import pdf_to_png, read_qr, require_tool, run

PUBLIC_URL = "https://registry.example.org"
REGISTRY = "Impact Sourcing Registry"
EPS = 1e-6


def verify_url(serial: str) -> str:
    return f"{PUBLIC_URL}/certificates/{serial}"


LONG_NAME = "Łódź & Nguyễn Impact Outsourcing Cooperative of Greater Kisumu and Western Kenya"
assert len(LONG_NAME) == 80

FIVE_SITES = [
    {
        "name": "Łódź delivery centre",
        "address": "ul. Piotrkowska 104, 90-926 Łódź",
        "country": "PL",
    },
    {
        "name": "Nairobi hub (Ngũgĩ wa Thiong'o building)",
        "address": "Ngong Road 54, Kilimani, Nairobi 00100",
        "country": "KE",
    },
    {
        "name": "Hà Nội office of Nguyễn Thị Minh Khai",
        "address": "Số 18 Phố Lý Thường Kiệt, Quận Hoàn Kiếm, Hà Nội 100000",
        "country": "VN",
    },
    {
        "name": "São Paulo annotation floor",
        "address": "Avenida Paulista 1578, Bela Vista, São Paulo SP 01310-200",
        "country": "BR",
    },
    {
        "name": "Kraków training annex",
        "address": "ul. Świętego Filipa 17, 31-150 Kraków, Małopolskie",
        "country": "PL",
    },
]

CASES: dict[str, dict[str, Any]] = {
    "sample": sample_snapshot(),
    "long_name": sample_snapshot(holder={"name": LONG_NAME, "country": "KE"}),
    "five_sites": sample_snapshot(sites=FIVE_SITES),
    "diacritics": sample_snapshot(
        holder={"name": "Ngũgĩ Łódź Nguyễn Ñandú Øresund Çatalhöyük Ltd", "country": "VN"},
        sites=FIVE_SITES[:3],
        scope="Bảo trì dữ liệu, kiểm duyệt nội dung — Żółć gęślą jaźń; Ngũgĩ's scope.",
    ),
    "everything_long": sample_snapshot(
        holder={"name": LONG_NAME, "country": "KE"},
        sites=FIVE_SITES,
        scope=" ".join(["Multilingual data annotation and content moderation services"] * 6),
        level="certified",
        standard={
            "id": "ISRPS",
            "version": "1.0",
            "sha256": "ab" * 32,
            "title": "Impact Sourcing Responsible Practice Standard " * 3,
        },
    ),
}


def assert_layout_sound(lay: CertificateLayout) -> None:
    """Frames inside the margins and disjoint; text boxes inside their frame and disjoint;
    lines within their box; a glyph for every character."""
    for frame in lay.frames:
        assert frame.x >= MARGIN - EPS, frame
        assert frame.y >= MARGIN - EPS, frame
        assert frame.right <= lay.page_width - MARGIN + EPS, frame
        assert frame.top <= lay.page_height - MARGIN + EPS, frame
        assert frame.width > 0, frame
        assert frame.height > 0, frame
    for a, b in combinations(lay.frames, 2):
        overlap = (
            min(a.right, b.right) - max(a.x, b.x) > EPS and min(a.top, b.top) - max(a.y, b.y) > EPS
        )
        assert not overlap, (a, b)
    frames = {f.name: f for f in lay.frames}
    for box in lay.texts:
        frame = frames[box.frame]
        assert frame.x - EPS <= box.x, box.name
        assert box.x + box.width <= frame.right + EPS, box.name
        assert frame.y - EPS <= box.y, box.name
        assert box.top <= frame.top + EPS, box.name
        for width in box.line_widths:
            assert width <= box.width + 1e-3, (box.name, width, box.width)
        assert box.used_height() <= box.height + 1e-3, box.name
        baselines = box.baselines()
        if baselines:
            assert baselines[0] + box.size * _ASCENT <= box.top + 1e-3, box.name
            assert baselines[-1] - box.size * _DESCENT >= box.y - 1e-3, box.name
        assert missing_glyphs(box.text, box.font) == set(), box.name
    for a, b in combinations(lay.texts, 2):
        overlap = (
            min(a.x + a.width, b.x + b.width) - max(a.x, b.x) > EPS
            and min(a.top, b.top) - max(a.y, b.y) > EPS
        )
        assert not overlap, (a.name, b.name)
    for shape in lay.shapes:
        if shape.frame != "page":
            frame = frames[shape.frame]
            assert frame.x - EPS <= shape.x
            assert shape.x + shape.width <= frame.right + EPS
            assert frame.y - EPS <= shape.y
            assert shape.y + shape.height <= frame.top + EPS


def layout(snapshot: dict[str, Any], **kw: Any) -> CertificateLayout:
    return layout_certificate(
        snapshot,
        verify_url=verify_url(snapshot["serial"]),
        registry_name=kw.pop("registry_name", REGISTRY),
        public_url=PUBLIC_URL,
        fonts=find_fonts(kw.pop("font_dir", None)),
        **kw,
    )


def render(snapshot: dict[str, Any], **kw: Any) -> bytes:
    return render_certificate(
        snapshot,
        verify_url=kw.pop("verify_url", verify_url(snapshot["serial"])),
        registry_name=kw.pop("registry_name", REGISTRY),
        public_url=PUBLIC_URL,
        fonts=find_fonts(kw.pop("font_dir", None)),
        **kw,
    )


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


@pytest.mark.parametrize("case", sorted(CASES))
def test_layout_stays_within_frames(case):
    lay = layout(CASES[case])
    assert_layout_sound(lay)
    holder = lay.text("holder")
    assert not holder.truncated
    assert squash(holder.text) == squash(CASES[case]["holder"]["name"])


def test_long_name_wraps_or_shrinks_but_is_complete():
    lay = layout(CASES["long_name"])
    holder = lay.text("holder")
    assert len(holder.lines) <= 2
    assert holder.size >= 11
    assert squash(holder.text) == squash(LONG_NAME)


def test_five_sites_are_all_shown_with_addresses():
    lay = layout(CASES["five_sites"])
    names = [b.name for b in lay.texts if b.name.startswith("site_")]
    assert names == [f"site_{i}" for i in range(1, 6)]
    for index, site in enumerate(FIVE_SITES, start=1):
        box = lay.text(f"site_{index}")
        assert not box.truncated
        assert squash(site["name"]) in squash(box.text)
        assert squash(site["address"]) in squash(box.text)
    with pytest.raises(KeyError):
        lay.text("sites_more")


def test_too_many_sites_end_with_a_count_not_an_overflow():
    sites = [
        {
            "name": f"Site {i} with a rather long descriptive name",
            "address": "Road " * 12,
            "country": "KE",
        }
        for i in range(40)
    ]
    lay = layout(sample_snapshot(sites=sites))
    assert_layout_sound(lay)
    more = lay.text("sites_more")
    shown = len([b for b in lay.texts if b.name.startswith("site_")])
    assert 1 <= shown < 40
    assert f"and {40 - shown} more" in more.text


def test_many_sections_stay_in_the_chart():
    sections = [
        {
            "id": f"S{i}",
            "title": f"Section number {i} with a long title",
            "weight": "5",
            "score": "2.50",
        }
        for i in range(20)
    ]
    lay = layout(sample_snapshot(sectionScores=sections))
    assert_layout_sound(lay)
    assert "more sections" in lay.text("chart_more").text


def test_bars_are_proportional_to_score_and_weight():
    lay = layout(CASES["sample"])
    chart = [s for s in lay.shapes if s.frame == "chart"]
    pairs = list(zip(chart[0::2], chart[1::2], strict=True))  # (weight bar, score bar) per row
    sections = CASES["sample"]["sectionScores"]
    assert len(pairs) == len(sections)
    longest = max(p[0].width for p in pairs)
    for (weight_bar, score_bar), section in zip(pairs, sections, strict=True):
        assert weight_bar.width / longest == pytest.approx(float(section["weight"]) / 25)
        assert score_bar.width / weight_bar.width == pytest.approx(
            float(section["score"]) / float(section["weight"])
        )


def test_a_renewal_shows_certified_since_among_the_dates_in_the_same_space():
    first = layout(CASES["everything_long"])
    renewal = layout(CASES["everything_long"], certified_since="2022-03-01")
    assert_layout_sound(renewal)
    assert renewal.text("certified_since").text == "2022-03-01"
    assert renewal.text("certified_since_label").text == "Certified since"
    due = ", ".join(CASES["everything_long"]["surveillanceDue"])
    assert renewal.text("surveillance_due").text.replace("\n", " ") == due
    names = {t.name for t in first.texts}
    assert "certified_since" not in names and "next_surveillance" in names
    assert renewal.text("verify_url").y == first.text("verify_url").y  # nothing moved


def test_level_is_in_words():
    assert layout(CASES["sample"]).text("level").text == "Certified with distinction"
    assert layout(sample_snapshot(level="certified")).text("level").text == "Certified"


def test_decomposed_input_is_composed_before_drawing():
    nfd = unicodedata.normalize("NFD", "Ngũgĩ Nguyễn")
    assert nfd != unicodedata.normalize("NFC", nfd)
    lay = layout(sample_snapshot(holder={"name": nfd, "country": "KE"}))
    assert lay.text("holder").text == unicodedata.normalize("NFC", nfd)


def test_absurd_text_is_cut_with_an_ellipsis_not_overflowed():
    lay = layout(sample_snapshot(scope="word " * 2000, holder={"name": "X" * 2000}))
    assert_layout_sound(lay)
    assert lay.text("scope").truncated
    assert lay.text("scope").lines[-1].endswith("…")
    assert lay.text("holder").truncated


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(
        alphabet=st.sampled_from("abcXYZ ŁódźũĩễñøçğşĐđ-&'.,0123456789 WMW"),
        min_size=1,
        max_size=120,
    ).filter(str.strip),
    site_count=st.integers(min_value=0, max_value=9),
    address_words=st.integers(min_value=0, max_value=25),
)
def test_layout_invariants_hold_for_generated_input(name, site_count, address_words):
    sites = [
        {
            "name": f"{name[:40]} site {i}",
            "address": " ".join(["Ulica"] * address_words),
            "country": "PL",
        }
        for i in range(site_count)
    ]
    lay = layout(sample_snapshot(holder={"name": name, "country": "PL"}, sites=sites))
    assert_layout_sound(lay)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("holder"), "holder"),
        (lambda s: s.update(level="gold"), "level"),
        (lambda s: s.update(overallScore="eighty"), "overallScore"),
        (lambda s: s["sectionScores"][0].update(weight="NaN"), "weight"),
        (lambda s: s["standard"].pop("version"), "version"),
    ],
)
def test_malformed_snapshots_are_refused_clearly(change, message):
    snapshot = sample_snapshot()
    snapshot["sectionScores"] = [dict(s) for s in snapshot["sectionScores"]]
    snapshot["standard"] = dict(snapshot["standard"])
    change(snapshot)
    with pytest.raises(CertificateDataError, match=message):
        render(snapshot)


def test_missing_fonts_raise_font_not_found(tmp_path):
    with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
        render(CASES["sample"], font_dir=tmp_path)


def test_font_dir_override_is_used(tmp_path):
    source = next(Path(d) for d in FONT_SEARCH_DIRS if (Path(d) / "DejaVuSans.ttf").is_file())
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        shutil.copy(source / name, tmp_path / name)
    lay = layout(CASES["sample"], font_dir=tmp_path)
    assert {str(Path(p).parent) for p in lay.fonts.paths.values()} == {str(tmp_path)}
    assert render(CASES["sample"], font_dir=tmp_path).startswith(b"%PDF-")


def test_rendering_is_deterministic():
    first = render(CASES["diacritics"])
    assert first == render(CASES["diacritics"])
    assert first != render(sample_snapshot(serial="ISR-0000-0000-0000-0"))


def test_metadata_names_the_registry_and_serial():
    reader = PdfFileReader(io.BytesIO(render(CASES["sample"])))
    info = reader.trailer["/Info"]
    serial = CASES["sample"]["serial"]
    assert info["/Author"] == REGISTRY
    assert serial in info["/Title"]
    assert serial in info["/Subject"]
    assert info["/Keywords"] == serial
    assert "/CreationDate" in info  # fixed by invariant mode, not the clock
    first_id, _ = reader.document_id
    other = PdfFileReader(io.BytesIO(render(sample_snapshot(serial="ISR-0000-0000-0000-0"))))
    assert other.document_id[0] != first_id
    assert len(reader.root["/Pages"]["/Kids"]) == 1


def test_text_is_extractable_with_diacritics(tmp_path):
    tool = require_tool("pdftotext")
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(render(CASES["diacritics"]))
    done = run([tool, "-enc", "UTF-8", str(pdf), "-"])
    assert done.returncode == 0, done.stderr
    text = squash(done.stdout)
    for word in (
        "Ngũgĩ",
        "Łódź",
        "Nguyễn",
        "Çatalhöyük",
        "Certifiedwithdistinction",
        "ISR-7K2M-9QXD-4HVT-B",
    ):
        assert squash(word) in text, word


@pytest.mark.parametrize("case", ["sample", "everything_long"])
def test_qr_code_reads_back_the_verify_url(case, tmp_path):
    snapshot = CASES[case]
    pdf = tmp_path / f"{case}.pdf"
    pdf.write_bytes(render(snapshot))
    png = pdf_to_png(pdf, tmp_path / case, dpi=150)
    assert read_qr(png) == [verify_url(snapshot["serial"])]


def test_long_verify_url_still_scans(tmp_path):
    url = f"{PUBLIC_URL}/certificates/ISR-7K2M-9QXD-4HVT-B-R2?lang=fr&utm=" + "x" * 120
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(render(CASES["sample"], verify_url=url))
    assert read_qr(pdf_to_png(pdf, tmp_path / "long")) == [url]


def test_render_artifacts_for_people(tmp_path):
    """Render every case to PNG (into $CERTIFY_ARTIFACTS when set, for a person to look at)."""
    require_tool("pdftoppm")
    folder = Path(os.environ.get("CERTIFY_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for case, snapshot in CASES.items():
        pdf = folder / f"certificate_{case}.pdf"
        pdf.write_bytes(render(snapshot))
        png = pdf_to_png(pdf, folder / f"certificate_{case}", dpi=100)
        assert png.stat().st_size > 10_000


def test_the_layout_checker_catches_overlap_and_overflow():
    lay = layout(CASES["sample"])
    holder = lay.text("holder")
    lay.texts.append(dataclasses.replace(holder, name="intruder", y=holder.y - 5))
    with pytest.raises(AssertionError):
        assert_layout_sound(lay)
    lay = layout(CASES["sample"])
    lay.texts.append(dataclasses.replace(lay.text("scope"), name="wide", width=2000))
    with pytest.raises(AssertionError):
        assert_layout_sound(lay)


def test_missing_glyphs_are_reported():
    lay = layout(sample_snapshot(holder={"name": "株式会社 Ngũgĩ", "country": "JP"}))
    assert lay.missing_glyphs() == {"株", "式", "会", "社"}
    assert layout(CASES["diacritics"]).missing_glyphs() == set()
