"""The credential as JSON-LD (issue 20): certify's contexts are served at stable URLs, are the
bundled copies byte for byte and match the hash credentials pin; PyLD expands a credential
with no claim dropped; jsonld.js expands it in safe mode; Digital Bazaar's verifier
(``@digitalbazaar/vc`` with the eddsa-jcs-2022 cryptosuite, from npm) verifies it; every
``id`` is a URL; the credential's ``id`` resolves (JSON for clients, the page for browsers).

Both versions of the context (issue 22): new credentials name ``certify-v2`` (with impact
figures, bands and ``certifiedSince``); credentials issued before name ``certify-v1``, which is
still served unchanged, and they expand and verify as they did."""

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

from certify.core.credentials.context import (
    CONTEXT_V1,
    CONTEXT_V2,
    PUBLISHED_CONTEXTS,
    VOCABULARY,
)
from tests.core.tools import tools_required
from tests.web import certificate_fixtures
from tests.web.credential_v1 import issue_as_v1

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


def _issue(session, make_application, issue):
    # enough impact workers that the figures are published, so every v2 term is used
    application = make_application(org_name="Kibera Keystrokes")
    application.headcount, application.impact_headcount = 120, 84
    application.impact_groups = json.dumps(["Youth not in employment"])
    session.commit()
    certificate = issue(application, level=4)
    return certificate, json.loads(certificate.credential)


@pytest.fixture
def issued(app, session, client, make_application, issue):
    return _issue(session, make_application, issue)


@pytest.fixture
def issued_v1(app, session, client, make_application, issue, monkeypatch):
    """A certificate issued as before issue 22: its credential names certify-v1."""
    issue_as_v1(monkeypatch)
    return _issue(session, make_application, issue)


@pytest.fixture
def contexts(client) -> dict[str, Any]:
    """Every context a verifier needs, as a verifier's document loader holds them: the VC 2.0
    context from npm, and certify's, fetched from the registry."""
    vc_v2 = _npm_file(VC_V2_FILE).read_bytes()
    found: dict[str, Any] = {VC_V2: json.loads(vc_v2)}
    for context in PUBLISHED_CONTEXTS:
        found[context.url("http://registry.test")] = json.loads(client.get(context.path).data)
    return found


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.mark.parametrize("context", PUBLISHED_CONTEXTS, ids=lambda c: c.path)
def test_every_context_version_is_served_as_bundled(client, context) -> None:
    response = client.get(context.path)
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.data == context.data
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "immutable" in response.headers["Cache-Control"]
    digest = base64.b64encode(hashlib.sha256(context.data).digest()).decode()
    assert response.headers["Content-Digest"] == f"sha-256=:{digest}:"
    assert _sri(response.data) == context.digest_sri
    assert client.get("/contexts/certify-v3.jsonld").status_code == 404


@pytest.mark.parametrize(
    ("fixture", "context"), [("issued", CONTEXT_V2), ("issued_v1", CONTEXT_V1)]
)
def test_a_credential_names_and_pins_its_context(request, client, fixture, context) -> None:
    _, credential = request.getfixturevalue(fixture)
    assert credential["@context"] == [VC_V2, context.url("http://registry.test")]
    served = client.get(context.path).data
    assert credential["relatedResource"] == [
        {
            "id": context.url("http://registry.test"),
            "digestSRI": _sri(served),
            "mediaType": "application/ld+json",
        }
    ]


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


def _pyld_expand(credential: dict[str, Any], contexts: dict[str, Any]) -> Any:
    from pyld import jsonld

    def loader(url: str, options: dict | None = None) -> dict[str, Any]:
        if url not in contexts:
            raise jsonld.JsonLdError(f"no network here: {url}", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    return jsonld.expand(credential, {"documentLoader": loader})


def _assert_nothing_dropped(credential: dict[str, Any], expanded: Any) -> set[str]:
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
    return properties


def test_pyld_expands_the_credential_keeping_every_claim(issued, contexts) -> None:
    _, credential = issued
    subject = credential["credentialSubject"]
    assert subject["impactFigures"] and subject["certifiedSince"] and subject["workforceBand"]
    properties = _assert_nothing_dropped(credential, _pyld_expand(credential, contexts))
    for term in ("impactFigure", "indicator", "value", "basis", "period", "periodEnd",
                 "workforceBand", "impactWorkersBand", "certifiedSince"):  # fmt: skip
        assert VOCABULARY + term in properties, term
    assert "http://www.w3.org/2000/01/rdf-schema#label" in properties
    assert "https://schema.org/unitText" in properties


def test_pyld_expands_a_certify_v1_credential_as_before(issued_v1, contexts) -> None:
    _, credential = issued_v1
    assert "certifiedSince" not in credential["credentialSubject"]
    properties = _assert_nothing_dropped(credential, _pyld_expand(credential, contexts))
    assert VOCABULARY + "impactFigure" not in properties


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


@pytest.mark.parametrize("fixture", ["issued", "issued_v1"])
def test_digital_bazaar_verifies_and_jsonld_js_expands_in_safe_mode(
    request, client, contexts, fixture
) -> None:
    _, credential = request.getfixturevalue(fixture)
    answer = _digital_bazaar(client, credential, contexts)
    assert answer["verified"] is True, answer["errors"]
    # revocation, then suspension: both clear, each list's own proof verified
    assert answer["statuses"] == [{"set": False, "verified": True}] * 2
    assert answer["safeError"] is None
    assert VOCABULARY + "level" in json.dumps(answer["expanded"])
    if fixture == "issued":  # every v2 term defined: safe mode dropped none of them
        assert VOCABULARY + "impactFigure" in json.dumps(answer["expanded"])
    changed = json.loads(json.dumps(credential))
    changed["credentialSubject"]["level"] = "certified_with_distinction_and_more"
    assert _digital_bazaar(client, changed, contexts)["verified"] is False
    undefined = json.loads(json.dumps(credential))
    undefined["credentialSubject"]["madeUp"] = "a term no context defines"
    assert _digital_bazaar(client, undefined, contexts)["safeError"] is not None


def test_a_v2_term_in_a_credential_naming_v1_is_refused_in_safe_mode(
    client, issued_v1, contexts
) -> None:
    _, credential = issued_v1
    extended = json.loads(json.dumps(credential))
    extended["credentialSubject"]["workforceBand"] = "50-249"  # defined by v2 only
    assert _digital_bazaar(client, extended, contexts)["safeError"] is not None


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
