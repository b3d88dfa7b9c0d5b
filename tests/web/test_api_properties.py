"""A property-based run against the OpenAPI document (in the spirit of schemathesis).

For every GET route the parameters are generated from the document's own schemas (and, half
of the time, from anything at all, to try the error paths); ``POST /api/v1/verify`` gets JSON
bodies (real, altered and random credentials) and multipart uploads. Every answer must be a
non-5xx, and the response validator (on in the tests, ``certify.api.validation``) fails the
request when an answer breaks the document. Bounded: a few seconds per route.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certify.api.openapi import openapi_document
from tests.web import certificate_fixtures

issue = certificate_fixtures.issue
make_application = certificate_fixtures.make_application
rubric = certificate_fixtures.rubric

DOCUMENT = openapi_document()
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
JUNK = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for a (parameter) schema: enough of JSON Schema for our parameters."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        low = schema.get("minimum", -(2**31))
        high = schema.get("maximum", 2**31)
        return st.integers(min_value=low, max_value=high)
    if kind == "string":
        if "pattern" in schema:
            pattern = schema["pattern"]
            strategy = st.from_regex(re.compile(pattern), fullmatch=True)
        else:
            strategy = JUNK
        return strategy.filter(lambda v: len(v) <= schema.get("maxLength", 10_000))
    return JUNK


def parameter_values(parameter: dict[str, Any], extras: list[str]) -> st.SearchStrategy[Any]:
    options = [from_schema(parameter["schema"]), JUNK, st.integers(-5, 10**12).map(str)]
    if extras:
        options.append(st.sampled_from(extras))
    return st.one_of(*options)


def _get_operations() -> list[tuple[str, dict[str, Any]]]:
    return [(path, item["get"]) for path, item in DOCUMENT["paths"].items() if "get" in item]


@pytest.fixture
def serials(make_application, issue) -> list[str]:
    certificate = issue(make_application(org_name="Property Test Works"))
    typed = certificate.serial.lower().replace("-", " ")
    return [certificate.serial, typed, certificate.serial[:-1] + "0"]


def _assert_good(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where} -> {response.status_code}: {response.data[:500]!r}"


@pytest.mark.parametrize(("path", "operation"), _get_operations(), ids=lambda v: str(v)[:40])
def test_get_routes_hold_the_contract(client, serials, path, operation) -> None:
    parameters = operation.get("parameters", [])

    @SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        url = path
        query: dict[str, Any] = {}
        for parameter in parameters:
            extras = serials if parameter["name"] == "serial" else ["", "0", "1", "-1"]
            if parameter["in"] == "path":
                value = data.draw(parameter_values(parameter, extras).filter(lambda v: str(v)))
                url = url.replace("{" + parameter["name"] + "}", quote(str(value), safe=""))
            elif parameter.get("required") or data.draw(st.booleans()):
                query[parameter["name"]] = data.draw(parameter_values(parameter, extras))
        full = url + ("?" + urlencode(query) if query else "")
        response = client.get(full)  # the validator raises on a contract break
        _assert_good(response, f"GET {full}")

    run()


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), JUNK)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(JUNK, inner, max_size=4)
        ),
        max_leaves=12,
    )


def _mutate(credential: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The real credential with one top-level or subject field replaced or removed."""
    changed = json.loads(json.dumps(credential))
    target = changed if data.draw(st.booleans()) else changed.get("credentialSubject", changed)
    key = data.draw(st.sampled_from(sorted(target)))
    if data.draw(st.booleans()):
        del target[key]
    else:
        target[key] = data.draw(_json_values())
    return changed


@pytest.fixture
def credential(client, serials) -> dict[str, Any]:
    return json.loads(client.get(f"/certificates/{serials[0]}.json").data)


def test_verify_holds_the_contract(client, credential) -> None:
    if "/api/v1/verify" not in {r.rule for r in client.application.url_map.iter_rules()}:
        pytest.fail("POST /api/v1/verify is documented but not routed")

    @SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["real", "mutated", "random", "upload", "raw"]))
        if kind == "real":
            response = client.post("/api/v1/verify", json=credential)
        elif kind == "mutated":
            response = client.post("/api/v1/verify", json=_mutate(credential, data))
        elif kind == "random":
            response = client.post("/api/v1/verify", json=data.draw(_json_values()))
        elif kind == "upload":
            content = data.draw(
                st.one_of(
                    st.binary(max_size=300),
                    st.just(json.dumps(credential).encode()),
                    st.binary(max_size=50).map(lambda b: b"%PDF-1.7\n" + b),
                )
            )
            response = client.post(
                "/api/v1/verify",
                data={"file": (io.BytesIO(content), "upload.pdf")},
                content_type="multipart/form-data",
            )
        else:
            body = data.draw(st.binary(max_size=200))
            mimetype = data.draw(
                st.sampled_from(["application/json", "text/plain", "application/octet-stream"])
            )
            response = client.post("/api/v1/verify", data=body, content_type=mimetype)
        _assert_good(response, f"POST /api/v1/verify ({kind})")

    run()
    # the real credential verifies
    assert client.post("/api/v1/verify", json=credential).json["verdict"] == "valid"
