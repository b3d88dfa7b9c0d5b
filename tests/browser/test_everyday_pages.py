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


def test_leaving_a_section_with_unsaved_changes_asks_first(
    new_page,
    signed_in_states,
    live_server,
) -> None:
    """Under the real Content-Security-Policy (no bypass), the same-origin script asks before a
    section tab drops what was typed; saving does not ask."""
    path = _resolve(live_server.app, "/applications/{case:Lagos Data Collective}/assessment/IH")
    _page_as(new_page, signed_in_states, "auditor", "/dashboard")  # a saved sign-in
    page = new_page(storage_state=signed_in_states["auditor"])
    page.goto(path)
    asked: list[str] = []

    def stay(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.locator("textarea[name=c_IH_1_notes]").fill("Typed on site, not saved yet.")
    page.locator("nav[aria-label='Sections of the assessment'] a").first.click(no_wait_after=True)
    page.wait_for_function("() => true")  # let the dialog event reach us
    assert asked == ["beforeunload"]
    assert page.url.endswith(path)
    assert page.locator("textarea[name=c_IH_1_notes]").input_value().startswith("Typed on site")
