"""The credential as JSON-LD (issue 20): certify's context is served at a stable URL, is the
bundled copy byte for byte and matches the hash credentials pin; PyLD expands a credential
with no claim dropped; jsonld.js expands it in safe mode; Digital Bazaar's verifier
(``@digitalbazaar/vc`` with the eddsa-jcs-2022 cryptosuite, from npm) verifies it; every
``id`` is a URL; the credential's ``id`` resolves (JSON for clients, the page for browsers)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from certify.core.credentials.context import CONTEXT_BYTES, CONTEXT_DIGEST_SRI, VOCABULARY
from tests.core.tools import tools_required
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

ROOT = Path(__file__).resolve().parents[2]
VC_V2 = "https://www.w3.org/ns/credentials/v2"
#: The VC 2.0 context, from Digital Bazaar's npm package (installed by `npm ci`).
VC_V2_FILE = ROOT / "node_modules/@digitalbazaar/credentials-context/contexts/v2.jsonld"


def _npm_file(path: Path) -> Path:
    if not path.exists():
        message = f"{path} is missing: run `npm ci` (package.json)"
        if tools_required():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def issued(app, client, make_application, issue):
    certificate = issue(make_application(org_name="Kibera Keystrokes"))
    return certificate, json.loads(certificate.credential)


@pytest.fixture
def contexts(client) -> dict[str, Any]:
    vc_v2 = _npm_file(VC_V2_FILE).read_bytes()
    served = client.get("/contexts/certify-v1.jsonld")
    return {
        VC_V2: json.loads(vc_v2),
        "http://registry.test/contexts/certify-v1.jsonld": json.loads(served.data),
    }


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_the_context_is_served_as_bundled_and_pinned_by_the_credential(client, issued) -> None:
    _, credential = issued
    response = client.get("/contexts/certify-v1.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.data == CONTEXT_BYTES
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    digest = base64.b64encode(hashlib.sha256(CONTEXT_BYTES).digest()).decode()
    assert response.headers["Content-Digest"] == f"sha-256=:{digest}:"
    assert credential["@context"] == [VC_V2, "http://registry.test/contexts/certify-v1.jsonld"]
    assert credential["relatedResource"] == [
        {
            "id": "http://registry.test/contexts/certify-v1.jsonld",
            "digestSRI": _sri(response.data),
            "mediaType": "application/ld+json",
        }
    ]
    assert _sri(response.data) == CONTEXT_DIGEST_SRI


def _ids(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        found += [value["id"]] if isinstance(value.get("id"), str) else []
        for item in value.values():
            found += _ids(item)
    elif isinstance(value, list):
        for item in value:
            found += _ids(item)
    return found


def test_every_id_is_a_url(issued) -> None:
    _, credential = issued
    for value in _ids({k: v for k, v in credential.items() if k != "issuer"}):
        assert urlsplit(value).scheme in ("http", "https"), value
    assert credential["issuer"]["id"].startswith("did:web:")
    subject = credential["credentialSubject"]
    assert subject["standard"]["id"] == "http://registry.test/standards/isrps/1.0"
    assert subject["standard"]["code"] == "isrps"
    assert all(s["section"].startswith(subject["standard"]["id"] + "#section-") for s in
               subject["sectionScores"])  # fmt: skip


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every scalar of *value* with its path, leaving out @context."""
    if isinstance(value, dict):
        return [
            leaf
            for key, item in value.items()
            if key != "@context"
            for leaf in _leaves(item, f"{path}.{key}")
        ]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    return [(path, value)]


def _expanded_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [
            *([value["@value"]] if "@value" in value else []),
            *([value["@id"]] if "@id" in value else []),
            *(value["@type"] if isinstance(value.get("@type"), list) else []),
            *(v for item in value.values() for v in _expanded_values(item)),
        ]
    if isinstance(value, list):
        return [v for item in value for v in _expanded_values(item)]
    return []


def _properties(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = {k for k in value if not k.startswith("@")}
        return keys.union(*(_properties(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_properties(v) for v in value)) if value else set()
    return set()


def test_pyld_expands_the_credential_keeping_every_claim(issued, contexts) -> None:
    from pyld import jsonld

    _, credential = issued

    def loader(url: str, options: dict | None = None) -> dict[str, Any]:
        if url not in contexts:
            raise jsonld.JsonLdError(f"no network here: {url}", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    expanded = jsonld.expand(credential, {"documentLoader": loader})
    values = _expanded_values(expanded)
    for path, leaf in _leaves(credential):
        if path.endswith((".type", ".proofPurpose")):  # become IRIs: checked just below
            continue
        assert leaf in values or str(leaf) in map(str, values), f"{path} = {leaf!r} was dropped"
    properties = _properties(expanded)
    for term in ("level", "overallScore", "sectionScore", "site", "standard", "serial", "scope"):
        assert VOCABULARY + term in properties
    assert VOCABULARY + "transparencyLog" in properties
    assert "https://schema.org/addressCountry" in properties
    assert not any("issuer-dependent" in p for p in properties)
    assert VOCABULARY + "ImpactSourcingCertificate" in values


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if tools_required():
            pytest.fail("node is missing (Debian package nodejs)")
        pytest.skip("node is missing")
    _npm_file(ROOT / "node_modules/@digitalbazaar/vc/package.json")
    return node


def _digital_bazaar(client, credential: dict[str, Any], contexts: dict[str, Any]) -> dict:
    did = json.loads(client.get("/.well-known/did.json").data)
    documents = dict(contexts)
    for entry in credential.get("credentialStatus", []):
        url = entry["statusListCredential"]
        documents[url] = json.loads(client.get(urlsplit(url).path).data)
    stdin = json.dumps({"credential": credential, "didDocument": did, "contexts": documents})
    done = subprocess.run(
        [_node(), str(ROOT / "tests/web/js/verify_credential.mjs")],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_digital_bazaar_verifies_and_jsonld_js_expands_in_safe_mode(
    client, issued, contexts
) -> None:
    _, credential = issued
    answer = _digital_bazaar(client, credential, contexts)
    assert answer["verified"] is True, answer["errors"]
    # revocation, then suspension: both clear, each list's own proof verified
    assert answer["statuses"] == [{"set": False, "verified": True}] * 2
    assert answer["safeError"] is None
    assert VOCABULARY + "level" in json.dumps(answer["expanded"])
    changed = json.loads(json.dumps(credential))
    changed["credentialSubject"]["level"] = "certified_with_distinction_and_more"
    assert _digital_bazaar(client, changed, contexts)["verified"] is False
    undefined = json.loads(json.dumps(credential))
    undefined["credentialSubject"]["madeUp"] = "a term no context defines"
    assert _digital_bazaar(client, undefined, contexts)["safeError"] is not None


def test_digital_bazaar_sees_a_withdrawal_in_the_status_list(
    app, session, client, issued, contexts
) -> None:
    from certify.core.actor import Actor
    from certify.lifecycle import withdraw_certificate

    certificate, credential = issued
    with app.app_context():
        withdraw_certificate(session, certificate, Actor.cli("tests"), "fraud", "Forged")
        session.commit()
    answer = _digital_bazaar(client, credential, contexts)
    assert answer["statuses"] == [{"set": True, "verified": True}, {"set": False, "verified": True}]


def test_the_credential_id_resolves_by_content_negotiation(client, issued) -> None:
    certificate, credential = issued
    path = urlsplit(credential["id"]).path
    for accept in ("application/vc+ld+json", "application/vc", "application/json", "*/*"):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 200, accept
        assert response.data == certificate.credential
        assert "Accept" in response.headers["Vary"]
    assert client.get(path, headers={"Accept": "application/vc+ld+json"}).mimetype == (
        "application/vc+ld+json"
    )
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get(path, headers={"Accept": browser})
    assert page.status_code == 303
    assert page.headers["Location"].endswith(f"/registry/{certificate.serial}")
    assert client.get(path.lower(), headers={"Accept": "application/json"}).status_code == 301
    assert client.get("/certificates/ISR-0000-0000-0000-0").status_code == 404
