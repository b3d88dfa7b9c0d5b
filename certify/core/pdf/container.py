"""The signature container of a certificate PDF: ``/Contents`` must hold exactly the DER CMS
certify writes, followed only by zero bytes.

Why this check exists (issue 25): the signature's byte range covers everything *except*
``/Contents``, and the CMS signature inside covers only its signed attributes (which hold the
document digest). pyHanko reads the CMS from the front of ``/Contents`` and ignores what
follows, and nothing checks the rest of the CMS: the zero padding, the embedded root CA copy,
the headers and unsigned attributes could all be changed after signing while the signature
still validated and the coverage said "entire file" (55 of 392 single-byte changes to a
genuine PDF stayed "valid"). A genuine certificate is byte-exact, so here:

- ``/Contents`` is one hex string in one case, without whitespace, read exactly as it stands,
  and only zero bytes follow the CMS in it (for the registry's own signature: upper case, as
  certify writes it);
- for a signature that is the registry's (the signer chains to its root, or names one of its
  published document-signing certificates), the CMS must be byte for byte the DER that
  certify writes, rebuilt here from scratch: the published certificates byte for byte,
  SHA-256 and ECDSA-with-SHA256, version 1, no other field. Only the parts the signature
  itself covers are taken over: the signed attributes (pyHanko verifies the signature over
  their bytes as they stand) and the signature value; and, when a TSA time-stamped it (issue
  20, PAdES B-T), exactly one unsigned attribute, the signature time-stamp token, in DER, as
  the TSA wrote it (its own signature covers its time and the hash of the signature value,
  which pyHanko checks; a token with unsigned attributes of its own is refused).

A foreign signature gets the first check only, so it stays "untrusted", not "tampered": how
another signer encodes its CMS is its own affair.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, core, parser

__all__ = ["ContainerCheck", "check_signature_container"]

#: One hex string, one case, no whitespace: certify's writer (pyHanko) writes upper case.
_HEX_STRING = re.compile(rb"<(?:(?:[0-9A-F]{2})*|(?:[0-9a-f]{2})*)>")
#: What certify's signer writes (pyHanko with an ECDSA P-256 key and SHA-256), as DER.
_SHA256 = bytes.fromhex("300d06096086480165030402010500")  # sha256, NULL parameters
_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")  # ecdsa-with-SHA256
_VERSION_1 = bytes.fromhex("020101")
_ENCAP_DATA = bytes.fromhex("300b06092a864886f70d010701")  # id-data, no content
_ID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")


@dataclass(frozen=True)
class ContainerCheck:
    """Whether ``/Contents`` is exactly a signature container as written (``exact``), and if
    not, why (``problem``, plain words)."""

    exact: bool
    problem: str = ""


class _Refused(Exception):
    """One problem found: its message is the :attr:`ContainerCheck.problem`."""


def check_signature_container(
    pdf_bytes: bytes,
    byte_range: Sequence[int],
    contents: bytes,
    *,
    roots: Sequence[bytes],
    signing_certs: Sequence[bytes] | None,
    signer_trusted: bool,
) -> ContainerCheck:
    """Check the signature container of *pdf_bytes*: the gap *byte_range* leaves must be the
    hex form of *contents* (what the PDF reader took as ``/Contents``), a DER CMS followed
    only by zero bytes; for the registry's own signature, exactly what certify writes.

    *roots* and *signing_certs* are the DER of the published root and document-signing
    certificates; *signing_certs* None means the key export lists none (an older export):
    the signer's certificate is then accepted when *signer_trusted* (it chains to a root).
    Never raises: anything unexpected is a problem.
    """
    try:
        gap, body = _cms_body(pdf_bytes, byte_range, contents)
        info = cms.ContentInfo.load(body)
        signed = info["content"]
        if info["content_type"].native != "signed_data" or len(signed["signer_infos"]) != 1:
            raise _Refused("/Contents does not hold one CMS signature")
        signer_info = signed["signer_infos"][0]
        published_signers = _published_signers(signing_certs)
        if not (signer_trusted or _sid_key(signer_info) in published_signers):
            # A foreign signature: a plain hex string and zero padding is all we ask (its
            # verdict is "untrusted"); how another signer encodes its CMS is its own affair.
            return ContainerCheck(True)
        if gap != gap.upper():
            raise _Refused("/Contents is not written as certify writes it (upper-case hex)")
        _check_as_written(body, signed, signer_info, roots, signing_certs, signer_trusted)
    except _Refused as refused:
        return ContainerCheck(False, str(refused))
    except Exception as exc:  # hostile bytes: asn1crypto raises many kinds; never a 500
        return ContainerCheck(False, f"/Contents cannot be read as a CMS ({type(exc).__name__})")
    return ContainerCheck(True)


def _cms_body(pdf_bytes: bytes, byte_range: Sequence[int], contents: bytes) -> tuple[bytes, bytes]:
    """The gap *byte_range* leaves (``<hex>``) and the CMS's own bytes in it, after checking
    the gap's form and that only zero bytes follow the CMS.

    Raises:
        _Refused: a non-standard byte range, a gap that is not one plain hex string or not
            *contents*, an unreadable CMS header, or non-zero padding.
    """
    values = [int(v) for v in byte_range]
    if len(values) != 4 or values[0] != 0 or values[2] + values[3] != len(pdf_bytes):
        raise _Refused("the signature's byte range is not the standard one")
    gap = pdf_bytes[values[1] : values[2]]
    if not _HEX_STRING.fullmatch(gap):
        raise _Refused("/Contents is not one plain hex string (changed after signing)")
    raw = bytes.fromhex(gap[1:-1].decode("ascii"))
    if raw != contents:
        raise _Refused("/Contents differs from the signature the reader found")
    try:
        _class, _method, _tag, header, inner, trailer = parser.parse(raw, strict=False)
    except ValueError as exc:
        raise _Refused("/Contents does not start with a CMS") from exc
    length = len(header) + len(inner) + len(trailer)
    if raw[length:].strip(b"\0"):
        raise _Refused("non-zero bytes follow the CMS in /Contents (written after signing)")
    return gap, raw[:length]


def _published_signers(signing_certs: Sequence[bytes] | None) -> frozenset[tuple[bytes, int]]:
    """(issuer DER, serial) of each published document-signing certificate."""
    return _signer_keys(tuple(signing_certs or ()))


@functools.lru_cache(maxsize=16)
def _signer_keys(ders: tuple[bytes, ...]) -> frozenset[tuple[bytes, int]]:
    # parsed once per key set: every verification asks
    return frozenset(_cert_key(cms.Certificate.load(der)) for der in ders)


def _sid_key(signer_info: Any) -> tuple[bytes, int] | None:
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        return None
    return (sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native)


def _check_as_written(
    body: bytes,
    signed: Any,
    signer_info: Any,
    roots: Sequence[bytes],
    signing_certs: Sequence[bytes] | None,
    signer_trusted: bool,
) -> None:
    """The registry's own signature: *body* must be exactly the CMS certify writes.

    Raises:
        _Refused: a certificate that is not published byte for byte, a missing signer
            certificate, unsigned attributes, or any other byte that is not what certify
            writes (a BER length, a changed version or algorithm...).
    """
    listed = signed["certificates"]
    embedded = [] if isinstance(listed, core.Void) else [choice.chosen for choice in listed]
    signer = next((c for c in embedded if _sid_key(signer_info) == _cert_key(c)), None)
    if signer is None:
        raise _Refused("the signature does not carry its signer's certificate")
    published = set(roots) | set(signing_certs or ())
    if signing_certs is None and signer_trusted:
        published.add(signer.dump())  # an older key export: the chain to the root vouches
    ders = [c.dump() for c in embedded]
    if len(set(ders)) != len(ders) or not set(ders) <= published:
        raise _Refused(
            "the signature carries a certificate that is not byte for byte one this registry "
            "published (its root and document-signing certificates)"
        )
    unsigned = _unsigned_as_written(signer_info)
    if _as_written(ders, signer, signer_info, unsigned) != body:
        raise _Refused("the signature container differs from what this registry writes")


def _unsigned_as_written(signer_info: Any) -> bytes:
    """The contents of the unsigned attributes certify accepts (inside their ``[1]`` tag):
    none, or one signature time-stamp token (one value, DER, no unsigned attributes inside).

    Raises:
        _Refused: any other unsigned attribute, or a token not as a TSA writes it.
    """
    attrs = signer_info["unsigned_attrs"]
    if isinstance(attrs, core.Void) or attrs.native is None:
        return b""
    if len(attrs) != 1 or attrs[0]["type"].native != "signature_time_stamp_token":
        raise _Refused("the signature carries unsigned attributes certify never writes")
    values = attrs[0]["values"]
    if len(values) != 1:
        raise _Refused("the signature carries more than one time-stamp token")
    token = values[0]["content"]
    if any(not isinstance(s["unsigned_attrs"], core.Void) for s in token["signer_infos"]):
        raise _Refused("the time-stamp token carries unsigned attributes of its own")
    contents = bytes(attrs.contents)
    if cms.CMSAttributes.load(_tlv(0x31, contents)).dump(force=True) != _tlv(0x31, contents):
        raise _Refused("the time-stamp token is not in DER, as a TSA writes it")
    return contents


def _cert_key(cert: Any) -> tuple[bytes, int]:
    return (cert.issuer.dump(), cert.serial_number)


def _as_written(
    certificates: Sequence[bytes], signer: Any, signer_info: Any, unsigned: bytes = b""
) -> bytes:
    """The DER of the CMS certify writes for *signer_info*'s signed attributes and signature
    value, carrying *certificates* (already checked to be published). Written here from
    scratch (every header and field certify's own, in DER), taking over only what the
    signature covers; byte strings rather than asn1crypto objects, whose re-encoding cost a
    millisecond per verification."""
    serial = signer["tbs_certificate"]["serial_number"].dump()  # published: DER already
    signer_der = _tlv(
        0x30,
        _VERSION_1
        + _tlv(0x30, signer.issuer.dump() + serial)  # sid: issuerAndSerialNumber
        + _SHA256
        + _tlv(0xA0, signer_info["signed_attrs"].contents)  # [0] IMPLICIT, as signed
        + _ECDSA_SHA256
        + _tlv(0x04, signer_info["signature"].native)
        # unsigned attributes [1] IMPLICIT: the time-stamp token, when there is one
        + (_tlv(0xA1, unsigned) if unsigned else b""),
    )
    signed_data = _tlv(
        0x30,
        _VERSION_1
        + _tlv(0x31, _SHA256)  # digestAlgorithms
        + _ENCAP_DATA  # encapContentInfo: id-data, detached
        + _tlv(0xA0, b"".join(certificates))  # certificates [0] IMPLICIT
        + _tlv(0x31, signer_der),  # signerInfos
    )
    return _tlv(0x30, _ID_SIGNED_DATA + _tlv(0xA0, signed_data))


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element: *tag*, the definite minimal length, *content*."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content
