"""The pages people use every day, in a real browser (issue 21): what CSS and the browser do,
which the test client cannot see."""

from __future__ import annotations

from tests.browser import test_accessibility as a11y
from tests.browser.test_accessibility import _page_as, _resolve

#: The accessibility check's signed-in browser states, shared with these tests.
signed_in_states = a11y.signed_in_states

BAD = "rgb(155, 28, 28)"  # --bad
BRAND = "rgb(11, 93, 59)"  # --brand


def _background(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")


def test_final_and_public_actions_look_dangerous(
    new_page,
    signed_in_states,
    live_server,
) -> None:
    """Suspend and withdraw buttons are red (the stylesheet used to paint them like any other
    submit button); an ordinary button keeps the brand colour."""
    path = _resolve(live_server.app, "/admin/certificates/{certificate:Nairobi DataWorks}")
    page, response = _page_as(new_page, signed_in_states, "admin", path)
    assert response is not None and response.status == 200
    buttons = page.locator("button.btn-danger")
    assert buttons.count() == 2
    for i in range(buttons.count()):
        assert buttons.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") == BAD
    registry, _ = _page_as(new_page, signed_in_states, None, "/registry")
    assert _background(registry, "main button[type=submit]") == BRAND
