"""Keyboard use: a skip link first, every control reachable with Tab, focus always visible."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import log_in, reauthenticate_if_asked

pytestmark = pytest.mark.e2e

ACTIVE = """() => {
  const e = document.activeElement;
  const cs = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  return {
    id: e.id, tag: e.tagName.toLowerCase(), type: e.getAttribute('type'),
    name: e.getAttribute('name'), cls: e.className, text: (e.innerText || '').trim().slice(0, 40),
    focusVisible: e.matches(':focus-visible'),
    outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth),
    outlineColor: cs.outlineColor,
    // Its centre is on screen (scrolling may leave a sub-pixel edge outside).
    inViewport: box.width > 0 && box.height > 0
      && box.left + box.width / 2 >= 0 && box.top + box.height / 2 >= 0
      && box.left + box.width / 2 <= window.innerWidth
      && box.top + box.height / 2 <= window.innerHeight,
  };
}"""


def assert_focus_visible(element: dict) -> None:
    assert element["focusVisible"], f"{element} has the focus but not :focus-visible"
    assert element["outlineStyle"] != "none" and element["outlineWidth"] >= 2, (
        f"no visible focus outline on {element}"
    )
    assert element["inViewport"], f"focused element is off screen: {element}"


def describe(element: dict) -> str:
    return element["id"] or f"{element['tag']}[name={element['name']}] {element['text']!r}"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_signup_page_by_keyboard(context_factory, language):
    page = context_factory(language=language).new_page()
    page.goto("/accounts/signup/")
    form = page.locator("form:has(#id_username)")
    controls = form.evaluate(
        """f => [...f.elements]
             .filter(e => e.type !== 'hidden' && !e.disabled)
             .map(e => e.id || e.name || e.type)"""
    )
    assert {
        "id_username",
        "id_email",
        "id_gender",
        "id_password1",
        "id_password2",
        "id_adult",
        "id_accept_terms",
    } <= set(controls), controls

    # The very first Tab lands on the skip link, which then shows on screen.
    page.keyboard.press("Tab")
    first = page.evaluate(ACTIVE)
    assert "skip-link" in first["cls"], f"first Tab stop is {first}, not the skip link"
    assert_focus_visible(first)
    expect(page.locator(".skip-link")).to_be_visible()

    # Following it puts the keyboard at the start of the main content.
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # From there Tab visits every control of the form, each with a visible focus outline.
    reached = []
    submit_id = "__submit__"
    form.locator("[type=submit]").evaluate(f"b => b.dataset.e2e = '{submit_id}'")
    for _ in range(40):
        page.keyboard.press("Tab")
        element = page.evaluate(ACTIVE)
        assert_focus_visible(element)
        reached.append(element["id"] or element["name"] or element["type"])
        if page.evaluate(f"() => document.activeElement.dataset.e2e === '{submit_id}'"):
            break
    else:
        pytest.fail(f"Tab never reached the sign-up button; went through {reached}")
    missing = [c for c in controls if c not in reached and c != "submit"]
    assert not missing, f"not reachable with Tab: {missing} (reached {reached})"
    # The form is in a sensible order: as read, top to bottom.
    order = [c for c in reached if c in controls]
    assert order == [c for c in controls if c in order], order


def test_header_and_footer_by_keyboard(page: Page):
    """Every link and button outside the form shows its focus too (home page, top to bottom)."""
    page.goto("/")
    focusable = page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input, select, textarea')]
             .filter(e => !e.disabled && e.type !== 'hidden').length"""
    )
    seen = 0
    for _ in range(focusable + 2):
        page.keyboard.press("Tab")
        element = page.evaluate(ACTIVE)
        if element["tag"] == "body":
            break
        element["inViewport"] = True  # the page scrolls; on-screen is checked on the form
        assert_focus_visible(element)
        seen += 1
    assert seen == focusable, f"Tab visited {seen} of {focusable} focusable elements"


def test_totp_secret_can_be_reached_and_copied_by_keyboard(page: Page, verified_member):
    """Who cannot scan the QR code types or copies the secret: it must be focusable and
    selectable, so read-only rather than disabled."""
    log_in(page, verified_member.username)
    page.goto("/accounts/2fa/totp/activate/")
    reauthenticate_if_asked(page)
    secret = page.locator("#authenticator_secret")
    expect(secret).to_be_visible()
    expect(secret).not_to_be_editable()
    page.locator("#main").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        element = page.evaluate(ACTIVE)
        if element["id"] in ("authenticator_secret", "id_code"):
            break
    assert element["id"] == "authenticator_secret", f"Tab skipped the secret, went to {element}"
    assert_focus_visible(element)
    # Select all and copy: the selection holds the whole secret.
    page.keyboard.press("Control+A")
    selected = page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.value.substring(e.selectionStart, e.selectionEnd); }"
    )
    assert selected == secret.input_value()
