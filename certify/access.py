"""Who may use each route, declared on the view and checked before any work.

Every view function carries an ``access_rule`` attribute set by one of the decorators here;
``tests/web/test_access.py`` walks the URL map and fails for a route that declares none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessRule:
    """``public``: anyone; ``login``: any signed-in user; ``roles``: users holding one of them;
    ``setting``: requests the settings allow (a token, an address), signed in or not."""

    kind: str
    roles: frozenset[str] = frozenset()

    def describe(self) -> str:
        if self.kind == "roles":
            return "roles: " + ", ".join(sorted(self.roles))
        return self.kind


def _declare(view: Callable[..., Any], rule: AccessRule) -> None:
    if getattr(view, "access_rule", None) is not None:
        raise TypeError(f"{view.__name__} declares access twice")
    view.access_rule = rule  # type: ignore[attr-defined]


def public(view: F) -> F:
    """Anyone, signed in or not, may use this route."""
    _declare(view, AccessRule("public"))
    return view


def allowed_by_setting(predicate: Callable[[], bool]) -> Callable[[F], F]:
    """Only requests *predicate* accepts (a token or an address named in the settings) may
    use this route; others get 403, signed in or not. For operators' routes such as
    ``/metrics``, used by machines, not people."""

    def decorate(view: F) -> F:
        def check() -> Any:
            from flask import abort

            if not predicate():
                abort(403)
            return None

        return wrap_checked(view, check, AccessRule("setting"))

    return decorate


def access_rule_of(view: Callable[..., Any]) -> AccessRule | None:
    """The rule a view declared, looking through ``functools.wraps`` layers."""
    while view is not None:
        rule = getattr(view, "access_rule", None)
        if rule is not None:
            return rule
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return None


def wrap_checked(view: F, check: Callable[[], Any], rule: AccessRule) -> F:
    """Wrap *view* so *check* runs (and may abort) before it; declare *rule*."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        result = check()
        if result is not None:
            return result
        return view(*args, **kwargs)

    _declare(checked, rule)
    return checked  # type: ignore[return-value]
