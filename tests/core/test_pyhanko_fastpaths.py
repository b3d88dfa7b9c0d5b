"""certify's pyHanko fast path gives pyHanko's own answers, in certify's readers only: pyHanko's
module globals stay pyHanko's, for every module and every thread."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import general
from pyhanko.sign import validation as pyhanko_validation
from pyhanko.sign.validation import generic_cms, pdf_embedded

import certify
from certify.certificates.fonts import find_fonts
from certify.core.pdf import fastpaths
from certify.core.pdf.certificate.drawing import render_certificate
from certify.core.pdf.certificate.sample import sample_snapshot
from certify.core.pdf.fastpaths import (
    FastEmbeddedSignature,
    FastReader,
    match_issuer_serial,
    read_hex_string,
)
from certify.core.pdf.pki import make_root_ca, make_signing_cert
from certify.core.pdf.signing import PdfSigner
from certify.core.pdf.validation import validate_pdf

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
PYHANKO_READ_HEX_STRING = generic.read_hex_string_from_stream


@pytest.fixture(scope="module")
def root():
    return make_root_ca("Registry Root CA", "Impact Sourcing Registry", NOW)


@pytest.fixture(scope="module")
def certificate_pdf(root) -> bytes:
    root_key, root_cert = root
    key, cert = make_signing_cert(root_key, root_cert, "Document signing", "Impact Sourcing", NOW)
    snapshot = sample_snapshot()
    unsigned = render_certificate(
        snapshot,
        verify_url=f"https://registry.example.org/certificates/{snapshot['serial']}",
        registry_name="Impact Sourcing Registry",
        public_url="https://registry.example.org",
        fonts=find_fonts(),
    )
    signer = PdfSigner(key, cert, [root_cert])
    return signer.sign(unsigned, attachments={"certificate.json": b'{"a": 1}'}, signing_time=NOW)


# --------------------------------------------------------------------------- hex strings


def outcome(reader, data: bytes) -> tuple[object, ...]:
    """(kind, value, position) of reading a hex string at the start of *data*."""
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # the same error type and message is part of the contract
        return ("error", type(exc).__name__, str(exc), stream.tell())
    return ("value", type(value).__name__, bytes(value.original_bytes), stream.tell())


PIECES = st.one_of(
    st.sampled_from([b"0", b"9", b"a", b"F", b"c4", b"A9", b"fe ff"]),
    st.sampled_from([b" ", b"\n", b"\r\n", b"\t", b"\x00", b"\x0c"]),
    st.sampled_from([b"% a comment > with a bracket\n", b"%\r", b"g", b"<", b"(", b"\x80"]),
    st.binary(max_size=3),
)


@given(
    body=st.lists(PIECES, max_size=40).map(b"".join),
    closed=st.booleans(),
    tail=st.sampled_from([b"", b" /Next 1 0 R>>", b">>", b"\nendobj\n"]),
)
def test_hex_reader_agrees_with_pyhanko(body: bytes, closed: bool, tail: bytes) -> None:
    data = b"<" + body + (b">" if closed else b"") + tail
    assert outcome(read_hex_string, data) == outcome(PYHANKO_READ_HEX_STRING, data)


@pytest.mark.parametrize(
    "data",
    [
        b"<>",
        b"<48656c6c6f>",
        b"<48 65 6C\n6c 6f> tail",
        b"<FEFF00480069>",  # UTF-16 text
        b"<901FA>",  # odd: the last digit is followed by an implied 0
        b"<41 % comment > inside\n 42>",  # the comment's ">" does not close the string
        b"<4G>",  # not a hex digit
        b"<4142",  # never closed
        b"<" + b"0123456789abcdef" * 2048 + b">",  # longer than one read
        b"<" + b"ab" * 4095 + b" >",  # the closing ">" just past the first chunk
    ],
)
def test_hex_reader_edge_cases(data: bytes) -> None:
    fast = outcome(read_hex_string, data)
    assert fast == outcome(PYHANKO_READ_HEX_STRING, data)


def test_hex_reader_reads_a_signature_sized_string_to_the_byte() -> None:
    payload = bytes(range(256)) * 20
    data = b"<" + payload.hex().encode() + b"> /Rest"
    kind, _type, value, position = outcome(read_hex_string, data)
    assert (kind, value, data[position:]) == ("value", payload, b" /Rest")


# --------------------------------------------------------------------------- the reader


def serialised(obj: generic.PdfObject) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out, None)
    if isinstance(obj, generic.StreamObject):
        out.write(b"|stream|" + obj.encoded_data)
    return out.getvalue()


def every_object(reader: PdfFileReader) -> dict[tuple[int, int], tuple[str, bytes]]:
    """Every indirect object reachable from the trailer: (type name, serialised form)."""
    found: dict[tuple[int, int], tuple[str, bytes]] = {}
    todo: list[generic.PdfObject] = [reader.trailer_view]
    while todo:
        obj = todo.pop()
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in found:
                continue
            target = obj.get_object()
            found[key] = (type(target).__name__, serialised(target))
            todo.append(target)
        elif isinstance(obj, generic.DictionaryObject):
            todo.extend(obj.raw_get(k) for k in obj)
        elif isinstance(obj, generic.ArrayObject):
            todo.extend(obj.raw_get(i) for i in range(len(obj)))
    return found


def test_the_fast_reader_reads_every_object_as_pyhanko_does(certificate_pdf: bytes) -> None:
    ours = every_object(FastReader(io.BytesIO(certificate_pdf), strict=True))
    theirs = every_object(PdfFileReader(io.BytesIO(certificate_pdf), strict=True))
    assert len(ours) > 20
    assert ours == theirs
    assert any(t == "DictionaryObject" and b"/Contents <" in s for t, s in ours.values())


OBJECTS = st.recursive(
    st.one_of(
        st.sampled_from([b"1", b"-2.5", b"/Name", b"true", b"null", b"(text)", b"3 0 R"]),
        st.binary(max_size=12).map(lambda b: b"<" + b.hex().encode() + b">"),
        st.sampled_from([b"<4G>", b"<41 % note\n 42>", b"<414", b"% c\n<4142>"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: b"[" + b" ".join(xs) + b"]"),
        st.lists(st.tuples(st.sampled_from([b"/A", b"/Contents", b"/B"]), inner), max_size=4).map(
            lambda kv: b"<<" + b" ".join(k + b" " + v for k, v in kv) + b">>"
        ),
    ),
    max_leaves=12,
)


def parsed(read_object, data: bytes, container) -> tuple[object, ...]:
    stream = io.BytesIO(data + b" endobj")
    try:
        obj = read_object(stream, container)
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc), stream.tell())
    return ("value", type(obj).__name__, serialised(obj), stream.tell())


@pytest.fixture(scope="module")
def container(certificate_pdf: bytes) -> generic.Reference:
    """A reference into a strict reader: what a parsed object says it lives in."""
    return generic.Reference(1, 0, PdfFileReader(io.BytesIO(certificate_pdf), strict=True))


@given(data=OBJECTS)
def test_the_private_parser_copies_agree_with_pyhanko(data: bytes, container) -> None:
    ours = parsed(fastpaths._OBJECT_GLOBALS["read_object"], data, container)
    assert ours == parsed(generic.read_object, data, container)


# --------------------------------------------------------------------------- ESS matching


def asn1(certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def ess_issuer_serial(names: list[asn1_x509.GeneralName], serial: int) -> tsp.IssuerSerial:
    """An ESS IssuerSerial as a verifier meets it: parsed from DER (the name keeps its tag)."""
    built = tsp.IssuerSerial({"issuer": names, "serial_number": serial})
    return tsp.IssuerSerial.load(built.dump())


def directory(name: asn1_x509.Name) -> asn1_x509.GeneralName:
    return asn1_x509.GeneralName(name="directory_name", value=name)


@pytest.fixture(scope="module")
def signing(root) -> asn1_x509.Certificate:
    _key, cert = make_signing_cert(root[0], root[1], "Document signing", "Impact Sourcing", NOW)
    return asn1(cert)


def shouted(name: asn1_x509.Name) -> asn1_x509.Name:
    """*name* in capitals, in the same order: other bytes, the same name once prepared
    (RFC 4518 folds case)."""
    return asn1_x509.Name(
        name="",
        value=asn1_x509.RDNSequence(
            [
                asn1_x509.RelativeDistinguishedName(
                    [
                        asn1_x509.NameTypeAndValue(
                            {
                                "type": pair["type"].native,
                                "value": asn1_x509.DirectoryString(
                                    name="utf8_string", value=pair["value"].native.upper()
                                ),
                            }
                        )
                        for pair in rdn
                    ]
                )
                for rdn in name.chosen
            ]
        ),
    )


ESS_CASES = {
    "the issuer and serial": lambda c: ess_issuer_serial([directory(c.issuer)], c.serial_number),
    "another serial": lambda c: ess_issuer_serial([directory(c.issuer)], c.serial_number + 1),
    "another issuer": lambda c: ess_issuer_serial([directory(c.subject)], c.serial_number),
    "equal only once prepared": lambda c: ess_issuer_serial(
        [directory(shouted(c.issuer))], c.serial_number
    ),
    "two names": lambda c: ess_issuer_serial(
        [directory(c.issuer), directory(c.issuer)], c.serial_number
    ),
    "not a directory name": lambda c: ess_issuer_serial(
        [asn1_x509.GeneralName(name="dns_name", value="registry.example.org")], c.serial_number
    ),
    "a CMS signer id": lambda c: cms.IssuerAndSerialNumber.load(
        cms.IssuerAndSerialNumber({"issuer": c.issuer, "serial_number": c.serial_number}).dump()
    ),
}


@pytest.mark.parametrize("case", sorted(ESS_CASES))
def test_ess_matching_agrees_with_pyhanko(case: str, signing) -> None:
    expected = ESS_CASES[case](signing)
    assert match_issuer_serial(expected, signing) is general.match_issuer_serial(expected, signing)


def test_the_ess_cases_cover_both_answers_and_the_prepared_comparison(signing) -> None:
    answers = {
        case: general.match_issuer_serial(make(signing), signing)
        for case, make in ESS_CASES.items()
    }
    assert answers["the issuer and serial"] and answers["a CMS signer id"]
    assert answers["equal only once prepared"]  # pyHanko's string preparation decides this one
    assert not answers["another serial"] and not answers["another issuer"]


def test_the_exact_ess_match_does_not_ask_pyhanko(signing, monkeypatch) -> None:
    asked: list[object] = []
    monkeypatch.setattr(fastpaths, "_PYHANKO_MATCH_ISSUER_SERIAL", lambda *a: asked.append(a))
    assert match_issuer_serial(ESS_CASES["the issuer and serial"](signing), signing)
    assert not asked
    match_issuer_serial(ESS_CASES["equal only once prepared"](signing), signing)
    assert len(asked) == 1


def test_a_certify_validation_matches_the_ess_attribute_on_the_fast_path(
    certificate_pdf, root, monkeypatch
) -> None:
    fast: list[bool] = []

    def counting(expected, cert):
        fast.append(match_issuer_serial(expected, cert))
        return fast[-1]

    def refuse(*_args):
        raise AssertionError("pyHanko's issuer/serial match was asked")

    monkeypatch.setitem(fastpaths._GENERAL, "match_issuer_serial", counting)
    monkeypatch.setattr(fastpaths, "_PYHANKO_MATCH_ISSUER_SERIAL", refuse)
    reader = FastReader(io.BytesIO(certificate_pdf))
    assert all(type(s) is FastEmbeddedSignature for s in reader.embedded_signatures)
    assert validate_pdf(certificate_pdf, [root[1]]).ok
    assert len(fast) >= 2 and all(fast)  # the embedded signature's check and the validation's


def test_the_scoped_validation_answers_as_pyhankos(certificate_pdf, root) -> None:
    from pyhanko_certvalidator import ValidationContext

    trust = [asn1(root[1])]

    def summary(reader_class, validate) -> tuple[object, ...]:
        embedded = reader_class(io.BytesIO(certificate_pdf)).embedded_signatures[0]
        status = validate(embedded, ValidationContext(trust_roots=trust, moment=NOW))
        return (status.summary(), status.bottom_line, status.coverage, status.signing_cert.dump())

    ours = summary(FastReader, fastpaths.validate_pdf_signature)
    assert ours == summary(PdfFileReader, pyhanko_validation.validate_pdf_signature)
    assert ours[1] is True


# --------------------------------------------------------------------------- pyHanko untouched

#: Every pyHanko function a fast path copies or once replaced, by module and name.
PYHANKO_NAMES = {
    "pyhanko.pdf_utils.generic": ["read_hex_string_from_stream", "read_object"],
    "pyhanko.sign.general": ["match_issuer_serial", "check_ess_certid"],
    "pyhanko.sign.validation.generic_cms": [
        "_check_signing_certificate",
        "extract_certs_for_validation",
        "validate_sig_integrity",
        "cms_basic_validation",
        "collect_timing_info",
        "validate_tst_signed_data",
    ],
    "pyhanko.sign.validation.pdf_embedded": [
        "async_validate_pdf_signature",
        "collect_embedded_signatures",
    ],
    "pyhanko.sign.validation": ["validate_pdf_signature", "async_validate_pdf_signature"],
}

UNTOUCHED_AFTER_IMPORTING_CERTIFY = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import pyhanko.pdf_utils.generic, pyhanko.pdf_utils.reader, pyhanko.sign.general
    import pyhanko.sign.validation, pyhanko.sign.validation.pdf_embedded

    names = {names!r}
    before = {{m: dict(vars(sys.modules[m])) for m in sys.modules if m.startswith("pyhanko")}}
    originals = {{(m, n): getattr(sys.modules[m], n) for m, ns in names.items() for n in ns}}
    classes = {{
        "DictionaryObject.read_from_stream":
            vars(pyhanko.pdf_utils.generic.DictionaryObject)["read_from_stream"],
        "ArrayObject.read_from_stream":
            vars(pyhanko.pdf_utils.generic.ArrayObject)["read_from_stream"],
        "PdfFileReader._read_object":
            vars(pyhanko.pdf_utils.reader.PdfFileReader)["_read_object"],
        "PdfFileReader.embedded_signatures":
            vars(pyhanko.pdf_utils.reader.PdfFileReader)["embedded_signatures"],
        "EmbeddedPdfSignature._init_cert_info":
            vars(pyhanko.sign.validation.pdf_embedded.EmbeddedPdfSignature)["_init_cert_info"],
    }}

    import certify
    skipped = ("certify.migrations",)  # Alembic scripts run migrations when imported
    for module in pkgutil.walk_packages(certify.__path__, "certify."):
        if not module.name.startswith(skipped):
            importlib.import_module(module.name)

    problems = []
    for m, attrs in before.items():
        for name, value in attrs.items():
            if vars(sys.modules[m]).get(name) is not value:
                problems.append(f"{{m}}.{{name}} changed")
    for m in [m for m in sys.modules if m.startswith("pyhanko")]:
        for (home, name), original in originals.items():
            if name in vars(sys.modules[m]) and vars(sys.modules[m])[name] is not original:
                problems.append(f"{{m}}.{{name}} is not {{home}}.{{name}}")
    now = {{
        "DictionaryObject.read_from_stream":
            vars(pyhanko.pdf_utils.generic.DictionaryObject)["read_from_stream"],
        "ArrayObject.read_from_stream":
            vars(pyhanko.pdf_utils.generic.ArrayObject)["read_from_stream"],
        "PdfFileReader._read_object":
            vars(pyhanko.pdf_utils.reader.PdfFileReader)["_read_object"],
        "PdfFileReader.embedded_signatures":
            vars(pyhanko.pdf_utils.reader.PdfFileReader)["embedded_signatures"],
        "EmbeddedPdfSignature._init_cert_info":
            vars(pyhanko.sign.validation.pdf_embedded.EmbeddedPdfSignature)["_init_cert_info"],
    }}
    problems += [f"{{k}} changed" for k in classes if now[k] is not classes[k]]
    print("\\n".join(problems) or "untouched")
    """
).format(names=PYHANKO_NAMES)


def test_importing_every_certify_module_leaves_pyhankos_globals_untouched() -> None:
    # A fresh interpreter: pyHanko's objects are recorded before certify is imported at all.
    result = subprocess.run(
        [sys.executable, "-c", UNTOUCHED_AFTER_IMPORTING_CERTIFY],
        cwd=Path(certify.__file__).parents[1],  # the same certify as this test's
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "untouched"


def defined_by_pyhanko(function: object) -> bool:
    module = getattr(function, "__module__", "") or ""
    return module.startswith("pyhanko.") and getattr(function, "__globals__", {}) is vars(
        sys.modules[module]
    )


def test_a_certify_validation_leaves_pyhankos_globals_untouched(certificate_pdf, root) -> None:
    assert validate_pdf(certificate_pdf, [root[1]]).ok
    for module, names in PYHANKO_NAMES.items():
        for name in names:
            assert defined_by_pyhanko(getattr(sys.modules[module], name)), f"{module}.{name}"
    assert generic.read_hex_string_from_stream is PYHANKO_READ_HEX_STRING
    assert defined_by_pyhanko(general.match_issuer_serial)
    assert defined_by_pyhanko(generic.DictionaryObject.read_from_stream)
    assert defined_by_pyhanko(PdfFileReader._read_object)
    assert defined_by_pyhanko(pdf_embedded.EmbeddedPdfSignature._init_cert_info)
    assert generic_cms.check_ess_certid is general.check_ess_certid


def test_another_thread_reads_with_pyhankos_functions_during_a_certify_validation(
    certificate_pdf, root, monkeypatch
) -> None:
    inside, finished = threading.Event(), threading.Event()
    fast_calls: list[str] = []

    def pausing_read_hex_string(stream):
        fast_calls.append(threading.current_thread().name)
        inside.set()  # the certify validation is now reading a hex string...
        assert finished.wait(30)  # ...and stays there until the other thread has read
        return read_hex_string(stream)

    monkeypatch.setitem(
        fastpaths._OBJECT_GLOBALS, "read_hex_string_from_stream", pausing_read_hex_string
    )
    results: list[object] = []
    validation = threading.Thread(
        target=lambda: results.append(validate_pdf(certificate_pdf, [root[1]])),
        name="certify-validation",
    )
    validation.start()
    try:
        assert inside.wait(30)
        called: set[object] = set()

        def profile(frame, event, _arg):
            if event == "call":
                called.add(frame.f_code)

        sys.setprofile(profile)  # this thread only
        try:
            globals_seen = (generic.read_hex_string_from_stream, general.match_issuer_serial)
            signature = PdfFileReader(io.BytesIO(certificate_pdf)).embedded_signatures[0]
            contents = signature.sig_object["/Contents"]
        finally:
            sys.setprofile(None)
    finally:
        finished.set()
        validation.join(30)
    assert globals_seen[0] is PYHANKO_READ_HEX_STRING
    assert defined_by_pyhanko(globals_seen[1])
    assert len(contents) > 1000
    assert PYHANKO_READ_HEX_STRING.__code__ in called
    assert read_hex_string.__code__ not in called
    assert pausing_read_hex_string.__code__ not in called
    assert fast_calls and set(fast_calls) == {"certify-validation"}
    assert results and results[0].ok
