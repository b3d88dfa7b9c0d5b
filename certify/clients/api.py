"""``/api/v1/watches`` and ``/api/v1/webhooks``: a client's watch list and webhooks for
machines, with an API token (:mod:`certify.clients.access`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from certify.clients import operations
from certify.clients.access import api_client, api_user
from certify.clients.events import certificate_data
from certify.clients.models import Watch, WebhookDelivery, WebhookEndpoint
from certify.core.credentials.dates import format_datetime
from certify.db import db_session
from certify.operations import OperationError
from certify.security import csrf

bp = Blueprint("clients_api", __name__)


def _error(status: int, code: str, message: str) -> BaseResponse:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _body_field(name: str) -> str | None:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get(name), str):
        return None
    return str(body[name])


def _watch_json(watch: Watch) -> dict[str, Any]:
    if watch.certificate is not None:
        subject: dict[str, Any] = {"certificate": certificate_data(watch.certificate)}
    else:
        org = watch.organisation
        assert org is not None
        subject = {"organisation": {"id": org.public_id, "name": org.legal_name}}
    return {"id": watch.public_id, "createdAt": format_datetime(watch.created_at), **subject}


def _endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.public_id,
        "url": endpoint.url,
        "createdAt": format_datetime(endpoint.created_at),
    }


@bp.get("/api/v1/watches")
@api_client("read")
def list_watches() -> BaseResponse:
    rows = db_session().scalars(
        select(Watch).where(Watch.user_id == api_user().id).order_by(Watch.id)
    )
    return jsonify({"items": [_watch_json(w) for w in rows]})


@bp.post("/api/v1/watches")
@csrf.exempt  # a token, never a cookie (see certify.clients.access)
@api_client("write")
def add_watch() -> BaseResponse:
    subject = _body_field("subject")
    if subject is None or len(subject) > 200:
        return _error(400, "bad_request", 'Send {"subject": "<serial or organisation name>"}.')
    try:
        watch = operations.add_watch(db_session(), api_user(), subject)
    except OperationError as exc:
        return _error(404 if exc.code == "not_found" else 400, exc.code, exc.message)
    response = jsonify(_watch_json(watch))
    response.status_code = 201
    return response


@bp.delete("/api/v1/watches/<public_id>")
@csrf.exempt
@api_client("write")
def delete_watch(public_id: str) -> BaseResponse:
    watch = db_session().scalar(
        select(Watch).where(Watch.public_id == public_id, Watch.user_id == api_user().id)
    )
    if watch is None:
        abort(404)
    operations.remove_watch(db_session(), api_user(), watch)
    return BaseResponse(status=204)


@bp.get("/api/v1/webhooks")
@api_client("read")
def list_webhooks() -> BaseResponse:
    rows = db_session().scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.user_id == api_user().id)
        .order_by(WebhookEndpoint.id)
    )
    return jsonify({"items": [_endpoint_json(e) for e in rows]})


@bp.post("/api/v1/webhooks")
@csrf.exempt
@api_client("write")
def add_webhook() -> BaseResponse:
    url = _body_field("url")
    if url is None:
        return _error(400, "bad_request", 'Send {"url": "https://..."}.')
    try:
        endpoint, secret = operations.add_webhook(db_session(), api_user(), url)
    except OperationError as exc:
        return _error(400, exc.code, exc.message)
    response = jsonify({**_endpoint_json(endpoint), "secret": secret})
    response.status_code = 201
    return response


def _endpoint_or_404(public_id: str) -> WebhookEndpoint:
    endpoint = db_session().scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.public_id == public_id, WebhookEndpoint.user_id == api_user().id
        )
    )
    if endpoint is None:
        abort(404)
    return endpoint


@bp.delete("/api/v1/webhooks/<public_id>")
@csrf.exempt
@api_client("write")
def delete_webhook(public_id: str) -> BaseResponse:
    operations.remove_webhook(db_session(), api_user(), _endpoint_or_404(public_id))
    return BaseResponse(status=204)


@bp.post("/api/v1/webhooks/<public_id>/rotate")
@csrf.exempt
@api_client("write")
def rotate_webhook(public_id: str) -> BaseResponse:
    endpoint = _endpoint_or_404(public_id)
    secret = operations.rotate_webhook_secret(db_session(), api_user(), endpoint)
    return jsonify({**_endpoint_json(endpoint), "secret": secret})


@bp.get("/api/v1/webhooks/<public_id>/deliveries")
@api_client("read")
def list_deliveries(public_id: str) -> BaseResponse:
    endpoint = _endpoint_or_404(public_id)
    rows = db_session().scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(100)
    )
    return jsonify(
        {
            "items": [
                {
                    "msgId": d.msg_id,
                    "type": d.event_type,
                    "status": d.status,
                    "attempts": d.attempts,
                    "createdAt": format_datetime(d.created_at),
                    "lastStatusCode": d.last_status_code,
                    "lastError": d.last_error,
                }
                for d in rows
            ]
        }
    )
