"""The browser tests are part of the suite: a missing chromium fails them, it never skips them
(a fresh machine once passed `make test` while silently skipping every browser test)."""

import pytest

from . import conftest


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "CHROMIUM", str(tmp_path / "chromium"))


def test_browser_fixture_fails_with_the_install_command_when_chromium_is_missing(no_chromium):
    browser = conftest.browser._get_wrapped_function()()
    try:
        next(browser)
    except pytest.fail.Exception as failed:
        assert "apt-get install chromium" in str(failed)
    except pytest.skip.Exception as skipped:  # what made `make test` pass without a browser
        pytest.fail(f"the browser tests were skipped: {skipped}")
    else:
        pytest.fail("a browser was launched that does not exist")


def test_a_chromium_that_cannot_run_fails_too(monkeypatch, tmp_path):
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    monkeypatch.setattr(conftest, "CHROMIUM", str(not_executable))
    with pytest.raises(pytest.fail.Exception):
        conftest.chromium_executable()


def test_the_installed_chromium_is_found():
    assert conftest.chromium_executable() == "/usr/bin/chromium"
