"""Checking API responses against the OpenAPI document.

With ``VALIDATE_API_RESPONSES`` on (the tests switch it on), every response under ``/api/``
is checked after the view ran: its route must be documented, its status documented for that
route, its media type one of the documented ones and its JSON body valid against the schema.
A mismatch raises :class:`ApiContractError`, which fails the test that made the request, so
every API test of every feature checks the contract without asking.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:certify:openapi"
#: Pages under /api/ that are not API routes (people read them).
NOT_API = frozenset({"/api/docs"})
METHODS = ("get", "put", "post", "delete", "patch")


class ApiContractError(AssertionError):
    """An API response that the OpenAPI document does not allow."""


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class _Path:
    template: str
    pattern: re.Pattern[str]


class ResponseValidator:
    """Validates responses against an OpenAPI 3.1 *document*."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self.paths = [
            _Path(t, re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"))
            for t in document["paths"]
        ]
        self._validators: dict[str, Draft202012Validator] = {}

    def _validator(self, pointer: str) -> Draft202012Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self.registry
            )
            self._validators[pointer] = validator
        return validator

    def _resolve(self, item: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        ref = item.get("$ref")
        if ref is None:
            return item, None
        node: Any = self.document
        for token in ref.removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, ref.removeprefix("#")

    def match(self, path: str) -> str | None:
        """The documented path template matching *path*, or None."""
        for candidate in self.paths:
            if candidate.pattern.match(path):
                return candidate.template
        return None

    def check(
        self,
        method: str,
        path: str,
        status: int,
        mimetype: str,
        body: bytes | None,
        routed: bool = True,
    ) -> None:
        """Raise :class:`ApiContractError` unless the response is what the document allows.

        *routed* is False when no route matched (an unknown address): then only a 404 or
        405 in the error shape is allowed. *body* None skips the body check.
        """
        where = f"{method} {path} -> {status} {mimetype}"
        template = self.match(path)
        if template is None:
            if routed:
                raise ApiContractError(f"{where}: route not in the OpenAPI document")
            self._check_error(where, status, mimetype, body, (404, 405))
            return
        operation = self.document["paths"][template].get(method.lower())
        if operation is None:
            self._check_error(where, status, mimetype, body, (405,))
            return
        responses = operation["responses"]
        key = str(status)
        if key not in responses:
            raise ApiContractError(
                f"{where}: status {status} not documented for {method} {template} "
                f"(documented: {', '.join(responses)})"
            )
        response, ref = self._resolve(responses[key])
        content = response.get("content")
        if not content:
            return
        if mimetype not in content:
            raise ApiContractError(
                f"{where}: media type {mimetype!r} not documented (documented: "
                f"{', '.join(content)})"
            )
        if body is None or mimetype != "application/json":
            return
        base = ref or (f"/paths/{_escape(template)}/{method.lower()}/responses/{key}")
        self._check_json(where, body, f"{base}/content/{_escape(mimetype)}/schema")

    def _check_error(
        self, where: str, status: int, mimetype: str, body: bytes | None, allowed: tuple[int, ...]
    ) -> None:
        if status not in allowed:
            raise ApiContractError(f"{where}: not an API route, and not a {allowed} error")
        if mimetype != "application/json":
            raise ApiContractError(f"{where}: errors under /api/ must be JSON")
        if body is not None:
            self._check_json(where, body, "/components/schemas/Error")

    def _check_json(self, where: str, body: bytes, pointer: str) -> None:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ApiContractError(f"{where}: body is not JSON: {exc}") from None
        error = best_match(self._validator(pointer).iter_errors(data))
        if error is not None:
            location = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise ApiContractError(
                f"{where}: body breaks the schema at {location}: {error.message}"
            )


def validate_response(validator: ResponseValidator, response: Response) -> Response:
    """The after-request check (see the module docstring)."""
    path = request.path
    if not path.startswith("/api/") or path in NOT_API or request.method == "OPTIONS":
        return response
    body: bytes | None = None
    if request.method != "HEAD" and not response.is_streamed and response.status_code != 304:
        body = response.get_data()
    validator.check(
        "GET" if request.method == "HEAD" else request.method,
        path,
        response.status_code,
        response.mimetype or "",
        body,
        routed=request.url_rule is not None,
    )
    return response


def init_app(app: Flask, document: dict[str, Any]) -> None:
    """Check every API response against *document* when ``VALIDATE_API_RESPONSES`` is on."""
    if not app.config.get("VALIDATE_API_RESPONSES"):
        return
    validator = ResponseValidator(document)
    app.extensions["certify.api.validator"] = validator
    app.after_request(lambda response: validate_response(validator, response))
