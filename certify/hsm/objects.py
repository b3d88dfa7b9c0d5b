"""Keys in the PKCS#11 token: making them, and using them without their leaving it.

===================  ==================  ==========================================================
key                  token object        used through
===================  ==================  ==========================================================
document signing     EC P-256 key pair   pyHanko's ``PKCS11Signer`` (``CKM_ECDSA`` on the SHA-256
                                         digest: SoftHSM 2.6 has no ``CKM_ECDSA_SHA256``)
credential           Ed25519 key pair    :class:`TokenEd25519Key` (``CKM_EDDSA``, SoftHSM 2.6 with
                                         OpenSSL >= 1.1.1)
evidence KEK         AES-256 secret key  :class:`TokenKek` (``CKM_AES_GCM`` inside the token)
===================  ==================  ==========================================================

Every private and secret key is made with ``CKA_SENSITIVE`` true and ``CKA_EXTRACTABLE``
false, so the token never hands it out (security: a copy of the token folder or a stolen PIN
still cannot move the key elsewhere through the token's API). Each object gets a random 8-byte
``CKA_ID`` (the manifest records it, so two registries or test runs sharing a token cannot mix
up keys) and a readable ``CKA_LABEL``. An evidence KEK imported from its file keeps the file
KEK's id, so the data keys it wrapped before keep opening.
"""

from __future__ import annotations

import secrets
from typing import Any

from asn1crypto import x509 as asn1_x509
from asn1crypto.core import OctetString
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certify.core import envelope
from certify.hsm.token import TOKEN_LOCK, TokenError, TokenSettings, open_session

__all__ = [
    "TokenEd25519Key",
    "TokenKek",
    "TokenPdfSigner",
    "find_kek",
    "generate_credential_key",
    "generate_kek",
    "generate_signing_key",
    "import_kek",
    "signing_public_key",
]

ID_SIZE = 8
ED25519_OID = "1.3.101.112"
P256_OID = "secp256r1"
#: a DER ECDSA P-256 signature is at most 72 bytes (pyHanko reserves 512 for any token key)
P256_SIGNATURE_MAX = 72


def new_object_id() -> bytes:
    """A random ``CKA_ID``."""
    return secrets.token_bytes(ID_SIZE)


def _private_template() -> dict[Any, Any]:
    from pkcs11 import Attribute

    # never leaves the token (see the module docstring)
    return {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.TOKEN: True}


def _find_one(session: Any, object_class: Any, object_id: bytes, what: str) -> Any:
    import pkcs11
    from pkcs11 import Attribute

    found = list(session.get_objects({Attribute.CLASS: object_class, Attribute.ID: object_id}))
    if len(found) != 1:
        state = "is not" if not found else "is more than once"
        raise TokenError(f"the {what} (id {object_id.hex()}) {state} in the token")
    obj = found[0]
    if object_class == pkcs11.ObjectClass.PRIVATE_KEY and obj[Attribute.EXTRACTABLE]:
        raise TokenError(f"the {what} (id {object_id.hex()}) is extractable: make a new one")
    return obj


def _pkcs11_error(what: str, exc: Exception) -> TokenError:
    return TokenError(f"{what}: the token refused ({type(exc).__name__} {exc})")


# --------------------------------------------------------------------------- making keys


def _generate_pair(settings: TokenSettings, curve: str, key_type: Any, name: str) -> tuple:
    import pkcs11
    from pkcs11 import Attribute
    from pkcs11.util.ec import encode_named_curve_parameters

    object_id = new_object_id()
    label = settings.label(name)
    with TOKEN_LOCK:
        session = open_session(settings)
        try:
            public, _ = session.generate_keypair(
                key_type,
                store=True,
                label=label,
                id=object_id,
                public_template={Attribute.EC_PARAMS: encode_named_curve_parameters(curve)},
                private_template=_private_template(),
            )
            point = public[Attribute.EC_POINT]
        except pkcs11.PKCS11Error as exc:
            raise _pkcs11_error(f"making the key {label}", exc) from None
    return object_id, label, point


def generate_signing_key(
    settings: TokenSettings, name: str
) -> tuple[bytes, str, ec.EllipticCurvePublicKey]:
    """A new ECDSA P-256 key pair in the token; returns its id, label and public key."""
    from pkcs11 import KeyType

    object_id, label, point = _generate_pair(settings, P256_OID, KeyType.EC, name)
    return object_id, label, _p256_public(point)


def generate_credential_key(
    settings: TokenSettings, name: str
) -> tuple[bytes, str, Ed25519PublicKey]:
    """A new Ed25519 key pair in the token; returns its id, label and public key."""
    from pkcs11 import KeyType

    object_id, label, point = _generate_pair(settings, ED25519_OID, KeyType.EC_EDWARDS, name)
    return object_id, label, _ed25519_public(point)


def _p256_public(point: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), OctetString.load(point).native
    )


def _ed25519_public(point: bytes) -> Ed25519PublicKey:
    # CKA_EC_POINT is a DER OCTET STRING around the 32 raw bytes (SoftHSM, OpenSC, most HSMs)
    raw = OctetString.load(point).native if len(point) == 34 else point
    return Ed25519PublicKey.from_public_bytes(raw)


def _public_point(settings: TokenSettings, object_id: bytes, what: str) -> bytes:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    with TOKEN_LOCK:
        session = open_session(settings)
        try:
            public = _find_one(session, ObjectClass.PUBLIC_KEY, object_id, f"public {what}")
            _find_one(session, ObjectClass.PRIVATE_KEY, object_id, what)
            return public[Attribute.EC_POINT]
        except pkcs11.PKCS11Error as exc:
            raise _pkcs11_error(f"reading the {what}", exc) from None


def signing_public_key(settings: TokenSettings, object_id: bytes) -> ec.EllipticCurvePublicKey:
    """The public half of the document-signing key *object_id* in the token.

    Raises:
        TokenError: the token or the key is not there.
    """
    return _p256_public(_public_point(settings, object_id, "document-signing key"))


# --------------------------------------------------------------------------- signing


class TokenEd25519Key:
    """An Ed25519 credential key in the token (:class:`~certify.core.credentials.keys.
    Ed25519Signer`): :meth:`sign` runs ``CKM_EDDSA`` inside it. The public key is the one the
    registry published; the first signature in a process checks the token's key is that key
    (so a swapped token object cannot sign credentials that verify against nothing). The
    private key's handle is found once per session (a handle stays valid for the session's
    life; CKA_EXTRACTABLE can never go back to true) and found again after a failure."""

    def __init__(self, settings: TokenSettings, object_id: bytes, public: Ed25519PublicKey):
        self.settings = settings
        self.object_id = object_id
        self._public = public
        self._checked = False
        self._found: tuple[Any, Any] | None = None  # (session, private key object)

    def __repr__(self) -> str:
        return f"TokenEd25519Key({self.settings.token_label!r}, {self.object_id.hex()})"

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of *data*, made in the token.

        Raises:
            TokenError: the token or the key is not there, or the token refused.
        """
        import pkcs11
        from pkcs11 import Mechanism, ObjectClass

        with TOKEN_LOCK:
            if not self._checked:
                point = _public_point(self.settings, self.object_id, "credential key")
                if _ed25519_public(point) != self._public:
                    raise TokenError(
                        f"the credential key {self.object_id.hex()} in the token is not the "
                        "published one"
                    )
                self._checked = True
            session = open_session(self.settings)
            try:
                if self._found is None or self._found[0] is not session:
                    self._found = (
                        session,
                        _find_one(
                            session, ObjectClass.PRIVATE_KEY, self.object_id, "credential key"
                        ),
                    )
                return bytes(self._found[1].sign(bytes(data), mechanism=Mechanism.EDDSA))
            except pkcs11.PKCS11Error as exc:
                self._found = None
                raise _pkcs11_error("signing with the credential key", exc) from None


class TokenPdfSigner(PKCS11Signer):
    """pyHanko's PKCS#11 signer with three changes for certify: each signature holds
    :data:`TOKEN_LOCK` (one operation at a time on the process's session); the space
    reserved for the signature is what P-256 needs; and the certificates it adds to the CMS
    are the chain only, as pyHanko's ``SimpleSigner`` does for a key in a file (PKCS11Signer
    also lists the signer's own certificate there, which then appears twice in the CMS, and
    certify's verifier refuses a container that is not byte for byte what certify writes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chain = SimpleCertificateStore()

    @property
    def cert_registry(self) -> SimpleCertificateStore:
        return self._chain

    def estimate_raw_signature_size_bytes(self) -> int:
        return P256_SIGNATURE_MAX

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run:
            return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
        # Each PdfSigner.sign runs its own event loop (asyncio.run) on the calling thread, so
        # holding a thread lock across this await blocks only that signature's loop.
        with TOKEN_LOCK:
            return await super().async_sign_raw(data, digest_algorithm)


def pdf_signer(
    settings: TokenSettings,
    object_id: bytes,
    certificate: x509.Certificate,
) -> TokenPdfSigner:
    """A pyHanko signer for the document-signing key *object_id*, whose certificate is
    *certificate* (the file beside the manifest; the token holds only the key).

    Raises:
        TokenError: the token or the key is not there, or the key is not the certificate's.
    """
    import pkcs11

    if signing_public_key(settings, object_id) != certificate.public_key():
        raise TokenError(
            f"the document-signing key {object_id.hex()} in the token does not belong to its "
            "certificate"
        )
    asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    with TOKEN_LOCK:
        signer = TokenPdfSigner(
            open_session(settings),
            signing_cert=asn1_cert,
            key_id=object_id,
            # SoftHSM 2.6 (and many tokens) sign a digest with CKM_ECDSA but have no
            # CKM_ECDSA_SHA256: hash here, sign there; the CMS is the same either way.
            use_raw_mechanism=True,
        )
        try:
            # reading signing_cert loads the key handle now (synchronously: this may run
            # under an event loop), so a missing key is found here and not mid-issuance
            signer.signing_cert  # noqa: B018
        except pkcs11.PKCS11Error as exc:
            raise _pkcs11_error("finding the document-signing key", exc) from None
        except Exception as exc:  # pyHanko's own PKCS11Error (no key with that id)
            raise TokenError(f"finding the document-signing key: {exc}") from None
    return signer


# --------------------------------------------------------------------------- the evidence KEK


class TokenKek:
    """The evidence KEK as an AES-256 key in the token (:class:`~certify.core.envelope.
    KeyEncryptionKey`): data keys are sealed with ``CKM_AES_GCM`` inside it, in the same
    format as a KEK kept in a file. Its id is its ``CKA_ID``."""

    def __init__(self, settings: TokenSettings, object_id: bytes) -> None:
        if len(object_id) != envelope.KEK_ID_SIZE:
            raise TokenError(f"the evidence KEK's id in the token is not {ID_SIZE} bytes")
        self.settings = settings
        self.object_id = object_id

    def __repr__(self) -> str:
        return f"TokenKek({self.key_id})"

    @property
    def key_id(self) -> str:
        return self.object_id.hex()

    @property
    def id_bytes(self) -> bytes:
        return self.object_id

    def _run(self, operation: str, data: bytes, nonce: bytes, associated: bytes) -> bytes:
        import pkcs11
        from pkcs11 import Mechanism, ObjectClass
        from pkcs11.mechanisms import GCMParams

        with TOKEN_LOCK:
            session = open_session(self.settings)
            key = _find_one(session, ObjectClass.SECRET_KEY, self.object_id, "evidence KEK")
            params = GCMParams(nonce, associated, envelope.TAG_SIZE * 8)
            try:
                return bytes(
                    getattr(key, operation)(
                        data, mechanism=Mechanism.AES_GCM, mechanism_param=params
                    )
                )
            except (pkcs11.EncryptedDataInvalid, pkcs11.GeneralError) as exc:
                if operation == "decrypt":  # SoftHSM reports a wrong tag as a general error
                    raise envelope.DamagedCiphertext(
                        "the stored data key is damaged or is another file's"
                    ) from exc
                raise _pkcs11_error("sealing a data key", exc) from None
            except pkcs11.PKCS11Error as exc:
                raise _pkcs11_error("using the evidence KEK", exc) from None

    def seal(self, nonce: bytes, data: bytes, associated: bytes) -> bytes:
        return self._run("encrypt", data, nonce, associated)

    def open(self, nonce: bytes, sealed: bytes, associated: bytes) -> bytes:
        return self._run("decrypt", sealed, nonce, associated)


def _aes_template(settings: TokenSettings, object_id: bytes) -> dict[Any, Any]:
    from pkcs11 import Attribute

    return {
        **_private_template(),
        Attribute.LABEL: settings.label("evidence-kek"),
        Attribute.ID: object_id,
        Attribute.ENCRYPT: True,
        Attribute.DECRYPT: True,
        Attribute.WRAP: False,
        Attribute.UNWRAP: False,
    }


def find_kek(settings: TokenSettings) -> TokenKek | None:
    """The token's evidence KEK (the secret key labelled ``<prefix>-evidence-kek``), or None.

    Raises:
        TokenError: the token cannot be opened, or more than one key has the label.
    """
    from pkcs11 import Attribute, ObjectClass

    with TOKEN_LOCK:
        session = open_session(settings)
        found = list(
            session.get_objects(
                {
                    Attribute.CLASS: ObjectClass.SECRET_KEY,
                    Attribute.LABEL: settings.label("evidence-kek"),
                }
            )
        )
        if len(found) > 1:
            raise TokenError(f"more than one {settings.label('evidence-kek')} is in the token")
        return TokenKek(settings, bytes(found[0][Attribute.ID])) if found else None


def generate_kek(settings: TokenSettings) -> TokenKek:
    """A new AES-256 evidence KEK made in the token (it never leaves it)."""
    import pkcs11
    from pkcs11 import KeyType

    object_id = new_object_id()
    with TOKEN_LOCK:
        session = open_session(settings)
        template = _aes_template(settings, object_id)
        try:
            session.generate_key(KeyType.AES, 256, store=True, template=template)
        except pkcs11.PKCS11Error as exc:
            raise _pkcs11_error("making the evidence KEK", exc) from None
    return TokenKek(settings, object_id)


def import_kek(settings: TokenSettings, kek: envelope.Kek) -> TokenKek:
    """Put the file KEK *kek* into the token (sensitive, not extractable), under its own id,
    so the data keys it wrapped keep opening. The caller removes the file afterwards."""
    import pkcs11
    from pkcs11 import Attribute, KeyType, ObjectClass

    with TOKEN_LOCK:
        session = open_session(settings)
        template = {
            **_aes_template(settings, kek.id_bytes),
            Attribute.CLASS: ObjectClass.SECRET_KEY,
            Attribute.KEY_TYPE: KeyType.AES,
            Attribute.VALUE: kek.key,
        }
        try:
            session.create_object(template)
        except pkcs11.PKCS11Error as exc:
            raise _pkcs11_error("importing the evidence KEK", exc) from None
    return TokenKek(settings, kek.id_bytes)
