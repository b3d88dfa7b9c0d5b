"""PAdES signatures on certificate PDFs (pyHanko).

:class:`PdfSigner` embeds attachments (the credential as ``certificate.json``), the validation
information (a Document Security Store: the chain and the root's CRL) and a *certification*
signature in one incremental revision, so all of it is covered by the signature.

Why a certification signature (DocMDP, "no changes permitted") rather than an approval
signature: an unsigned revision appended to an approval-signed file (text painted over the
holder's name) still reads "Signature is Valid" in common readers; a certified document with
permission level 1 tells readers that *any* later revision breaks the certification
(Acrobat, MuPDF, pyHanko report it). Why the DSS goes inside the signed revision rather than
after it (as PAdES tools usually add it): the file a holder receives then has one revision,
fully covered ("Total document signed" in pdfsig), while validators that require revocation
information (pyHanko's AdES validation, Acrobat's LTV) find the chain and a CRL in it. The
DSS carries no VRI entry: VRI is keyed by the signature's own hash, unknown before signing,
and PAdES makes it optional.

With a *timestamper* (an RFC 3161 TSA, ``TSA_URL``), the signature carries a signature
time-stamp token as its one unsigned attribute (PAdES B-T), so a validator years later has
proof of the signing time; the caller passes the TSA's certificates (and CRLs) for the DSS.
Without one, the signing time is proven by the registry's transparency log.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
from collections.abc import Mapping, Sequence
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certify.core.pdf.pki import KeyMaterialError
from certify.core.pdf.reading import PdfInputError
from certify.core.pdf.structure import StructureItem, add_structure

__all__ = ["PdfSigner", "SigningError"]


def _to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _mime_type(name: str) -> str:
    if name.lower().endswith(".json"):
        return "application/json"
    if name.lower().endswith(".tlog-proof"):
        return "text/plain"  # C2SP tlog-proof: UTF-8 text
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class PdfSigner:
    """A PAdES signer built once per process from the document-signing key and certificate.

    The key is either an ECDSA P-256 private key held here, or a pyHanko signer that signs
    elsewhere (:class:`pyhanko.sign.pkcs11.PKCS11Signer`: the key stays in a PKCS#11 token,
    built by :mod:`certify.hsm`); both produce the same CMS, so verifiers cannot tell them
    apart. Building converts the ``cryptography`` objects to the asn1crypto objects pyHanko
    uses (a DER round trip) once; :meth:`sign` then reuses them.

    Raises (from the constructor):
        KeyMaterialError: the key is not an ECDSA P-256 key or does not belong to the
            certificate (for a pyHanko signer: it was built for another certificate).
    """

    def __init__(
        self,
        signing_key: ec.EllipticCurvePrivateKey | signers.Signer,
        signing_cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
        timestamper: TimeStamper | None = None,
    ) -> None:
        self.certificate = signing_cert
        self.chain = tuple(chain)
        self.timestamper = timestamper
        self._signer: signers.Signer
        if isinstance(signing_key, signers.Signer):
            self._signer = _external_signer(signing_key, signing_cert, self.chain)
            return
        if not isinstance(signing_key, ec.EllipticCurvePrivateKey) or not isinstance(
            signing_key.curve, ec.SECP256R1
        ):
            raise KeyMaterialError("the PDF signing key must be an ECDSA P-256 private key")
        if signing_key.public_key() != signing_cert.public_key():
            raise KeyMaterialError("the signing key does not belong to the signing certificate")
        key_der = signing_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = signers.SimpleSigner(
            signing_cert=_to_asn1_cert(signing_cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            # The chain goes into the CMS so verifiers that only hold the root can build it.
            cert_registry=SimpleCertificateStore.from_certs([_to_asn1_cert(c) for c in self.chain]),
        )

    def sign(
        self,
        pdf_bytes: bytes,
        *,
        attachments: Mapping[str, bytes] | None = None,
        field_name: str = "CertifySignature",
        reason: str | None = None,
        location: str | None = None,
        name: str | None = None,
        signing_time: datetime | None = None,
        crls: Sequence[bytes] = (),
        validation_certs: Sequence[x509.Certificate] = (),
        structure: Sequence[StructureItem] = (),
    ) -> bytes:
        """Embed *attachments* and the validation information, and certify *pdf_bytes* with
        a PAdES baseline signature (DocMDP: no changes permitted).

        Attachments (file name → bytes; ``.json`` gets ``application/json``) are added to the
        document's EmbeddedFiles in the same incremental revision as the signature, so the
        signature covers them; so is a DSS holding the signer's certificate, the chain,
        *validation_certs* (the TSA's) and *crls* (DER CRLs of the issuers), and the logical
        *structure* of the page (a tagged PDF) when given. The signature is invisible,
        SHA-256, with the chain embedded.
        *signing_time* (timezone-aware) is the claimed signing time written into the
        signature dictionary; it defaults to now. It is not a trusted timestamp.

        Raises:
            PdfInputError: *pdf_bytes* is not a PDF pyHanko can update.
            ValueError: *signing_time* is naive, or an attachment name is empty.
            SigningError: pyHanko refused to sign (e.g. the field is already signed).
        """
        if signing_time is not None and signing_time.utcoffset() is None:
            raise ValueError("signing_time must be timezone-aware")
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=True)
        except Exception as exc:
            raise PdfInputError(f"cannot read the PDF to sign: {exc}") from exc
        _embed_attachments(writer, attachments or {})
        _carry_metadata(writer)
        if structure:
            add_structure(writer, structure)
        self._embed_validation_info(writer, crls, validation_certs)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            certify=True,
            docmdp_permissions=MDPPerm.NO_CHANGES,
            reason=reason,
            location=location,
            name=name,
        )
        pdf_signer = signers.PdfSigner(meta, signer=self._signer, timestamper=self.timestamper)
        output = io.BytesIO()
        # pyHanko's signing is asyncio inside; like pyHanko's own sign_pdf this uses
        # asyncio.run, so call sign() from synchronous code (a worker thread under asyncio).
        if signing_time is None:
            pdf_signer.sign_pdf(writer, output=output)
        else:
            asyncio.run(self._sign_at(pdf_signer, writer, output, signing_time))
        return output.getvalue()

    def _embed_validation_info(
        self,
        writer: IncrementalPdfFileWriter,
        crls: Sequence[bytes],
        validation_certs: Sequence[x509.Certificate] = (),
    ) -> None:
        """A DSS with the signer's certificate, the chain and *crls*, in the signed revision.

        Raises:
            ValueError: a CRL is not DER.
        """
        try:
            lists = [asn1_crl.CertificateList.load(bytes(der)) for der in crls]
            for item in lists:
                item.native  # noqa: B018 - parse it fully now, not while writing
        except Exception as exc:
            raise ValueError(f"not a DER CRL: {exc}") from exc
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            None,  # no VRI: it would name the signature, which does not exist yet
            certs=[
                self._signer.signing_cert,
                *self._signer.cert_registry,
                *(_to_asn1_cert(c) for c in validation_certs),
            ],
            crls=lists,
        )

    @staticmethod
    async def _sign_at(
        pdf_signer: signers.PdfSigner,
        writer: IncrementalPdfFileWriter,
        output: io.BytesIO,
        signing_time: datetime,
    ) -> None:
        # PdfSigner.async_sign_pdf with one change: the session's clock is the one passed in
        # (pyHanko takes datetime.now() otherwise). Same steps, same order.
        session = pdf_signer.init_signing_session(writer)
        session.system_time = signing_time
        validation_info = await session.perform_presign_validation(writer)
        reserved = await session.estimate_signature_container_size(
            validation_info, tight=pdf_signer.signature_meta.tight_size_estimates
        )
        tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=reserved)
        prepared, res_output = tbs.digest_tbs_document(output=output)
        post = await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(
                signing_time=signing_time,
                adobe_revinfo_attr=(
                    None if validation_info is None else validation_info.adobe_revinfo_attr
                ),
                cades_signed_attrs=pdf_signer.signature_meta.cades_signed_attr_spec,
            ),
        )
        await post.post_signature_processing(res_output)


def _external_signer(
    signer: signers.Signer, signing_cert: x509.Certificate, chain: Sequence[x509.Certificate]
) -> signers.Signer:
    """*signer* checked against *signing_cert*, with *chain* registered in it (so the CMS
    carries the same certificates a key held here would give it).

    Raises:
        KeyMaterialError: *signer* is built for another certificate or a key other than
            ECDSA P-256 (pyHanko reads the mechanism from the certificate).
    """
    expected = _to_asn1_cert(signing_cert)
    try:
        actual = signer.signing_cert
    except Exception as exc:  # a token signer loads its objects here: the token's errors
        raise KeyMaterialError(f"the signer's certificate cannot be read: {exc}") from exc
    if actual is None or actual.dump() != expected.dump():
        raise KeyMaterialError("the signer was built for another certificate")
    public = signing_cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
        public.curve, ec.SECP256R1
    ):
        raise KeyMaterialError("the PDF signing key must be an ECDSA P-256 key")
    for cert in chain:
        signer.cert_registry.register(_to_asn1_cert(cert))
    return signer


def _carry_metadata(writer: IncrementalPdfFileWriter) -> None:
    """The document information (title, author, subject, keywords, creator, creation date)
    also as XMP metadata. pyHanko writes an XMP stream when it signs (the version becomes
    PDF 2.0, where XMP is the metadata), from its own record, which starts empty: without
    this the XMP named no title, and readers that prefer XMP showed none."""
    view = writer.document_meta_view
    meta = writer.document_meta
    meta.title, meta.author, meta.subject = view.title, view.author, view.subject
    meta.creator, meta.created = view.creator, view.created
    meta.keywords = list(view.keywords)


def _embed_attachments(writer: IncrementalPdfFileWriter, attachments: Mapping[str, bytes]) -> None:
    """Add *attachments* to the document's EmbeddedFiles in the writer's new revision.

    Raises:
        ValueError: an attachment name is empty.
    """
    for file_name, data in attachments.items():
        if not file_name:
            raise ValueError("attachment names must not be empty")
        spec = embed.FileSpec(
            file_spec_string=file_name,
            file_name=file_name,
            embedded_data=embed.EmbeddedFileObject.from_file_data(
                writer,
                data=bytes(data),
                mime_type=_mime_type(file_name),
                params=embed.EmbeddedFileParams(embed_size=True, embed_checksum=False),
            ),
            description=f"{file_name} (covered by the document signature)",
            af_relationship=generic.pdf_name("/Data"),
        )
        embed.embed_file(writer, spec)
