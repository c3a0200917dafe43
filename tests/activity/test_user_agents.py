"""Device type, operating system and browser from real user agents, with ua-parser 1.x (R6.1)."""

import pytest

from activity.devices import parse_user_agent

from .conftest import CHROME_WINDOWS, FIREFOX_ANDROID, SAFARI_IPHONE


@pytest.mark.parametrize(
    ("user_agent", "device_type", "operating_system", "browser"),
    [
        (CHROME_WINDOWS, "desktop", "Windows 10", "Chrome 131"),
        (FIREFOX_ANDROID, "mobile", "Android 14", "Firefox Mobile 133"),
        (SAFARI_IPHONE, "mobile", "iOS 17.6", "Mobile Safari 17"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.81 Mobile Safari/537.36",
            "mobile",
            "Android 14",
            "Chrome Mobile 131",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
            "tablet",
            "iOS 17.6",
            "Mobile Safari 17",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "tablet",
            "Android 13",
            "Chrome 131",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/18.1 Safari/605.1.15",
            "desktop",
            "macOS 10.15",
            "Safari 18",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "desktop",
            "Ubuntu",
            "Firefox 133",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "desktop",
            "Windows 10",
            "Edge 131",
        ),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "other", "", "Googlebot 2"),
        ("", "other", "", ""),
        (None, "other", "", ""),
        ("x" * 5000, "other", "", ""),
    ],
)
def test_user_agents_in_words(user_agent, device_type, operating_system, browser):
    device = parse_user_agent(user_agent)
    assert (device.device_type, device.operating_system, device.browser) == (
        device_type,
        operating_system,
        browser,
    )


def test_a_browser_update_is_the_same_device_another_browser_is_not():
    chrome_131 = parse_user_agent(CHROME_WINDOWS)
    chrome_132 = parse_user_agent(CHROME_WINDOWS.replace("Chrome/131.0.0.0", "Chrome/132.0.0.0"))
    edge = parse_user_agent(CHROME_WINDOWS + " Edg/131.0.0.0")

    assert chrome_132.browser == "Chrome 132"
    assert chrome_131.family_key == chrome_132.family_key
    assert chrome_131.family_key != edge.family_key
