"""The kind of device, operating system and browser of a user agent, in words a member
recognises ("Phone", "Android 14", "Chrome 131"), parsed with ua-parser 1.x. The user agent
itself is not kept in activity's records: only these three."""

import re
from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse

from .models import DeviceType

# How long a user agent may be before it is cut (the longest real ones are ~500 characters).
MAX_USER_AGENT = 1000
# Operating systems that run on computers (a phone or tablet says so in its device family).
DESKTOP_SYSTEMS = {
    "windows",
    "mac os x",
    "linux",
    "ubuntu",
    "fedora",
    "debian",
    "chrome os",
    "freebsd",
    "openbsd",
    "netbsd",
    "red hat",
    "suse",
    "mint",
    "arch linux",
    "gentoo",
    "mandriva",
    "solaris",
}
MOBILE_SYSTEMS = {"ios", "android", "windows phone", "kaios", "harmonyos", "blackberry os"}
# Readable names for a few families ua-parser spells the technical way.
OS_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# A version at the end of a stored name ("Chrome 131", "iOS 17.6"): what the family omits.
TRAILING_VERSION = re.compile(r"\s+[\d.]+$")


@dataclass(frozen=True)
class DeviceInfo:
    device_type: str  # a DeviceType value
    operating_system: str  # "Android 14", "Windows 10", "" when not known
    browser: str  # "Chrome 131", "" when not known

    @property
    def device_label(self) -> str:
        return str(DeviceType(self.device_type).label)

    @property
    def family_key(self) -> tuple[str, str, str]:
        """What makes a device "the same" for the new-device notice: the kind of device and
        the families of system and browser, not their versions (an update is no new device)."""
        return device_family_key(self.device_type, self.operating_system, self.browser)


def device_family_key(device_type: str, operating_system: str, browser: str) -> tuple:
    return (
        device_type,
        TRAILING_VERSION.sub("", operating_system or "").casefold(),
        TRAILING_VERSION.sub("", browser or "").casefold(),
    )


def _with_version(family: str, major: str | None, minor: str | None = None) -> str:
    if not family or family == "Other":
        return ""
    version = major or ""
    if version and minor and minor != "0":
        version = f"{major}.{minor}"
    return f"{family} {version}".strip()


def _device_type(result) -> str:
    device = result.device
    os_family = (result.os.family if result.os else "").casefold()
    agent_family = (result.user_agent.family if result.user_agent else "").casefold()
    device_family = (device.family if device else "").casefold()
    brand = ((device.brand or "") if device else "").casefold()
    if device_family == "spider":
        return DeviceType.OTHER
    if "ipad" in device_family or "tablet" in device_family or "tablet" in brand:
        return DeviceType.TABLET
    if "kindle" in device_family:
        return DeviceType.TABLET
    if os_family in MOBILE_SYSTEMS:
        if os_family == "android" and "mobile" not in (result.string or "").casefold():
            return DeviceType.TABLET  # Android browsers on tablets leave out "Mobile"
        return DeviceType.MOBILE
    if "mobile" in agent_family or device_family in {"iphone", "ipod", "generic smartphone"}:
        return DeviceType.MOBILE
    if os_family in DESKTOP_SYSTEMS or device_family == "mac":
        return DeviceType.DESKTOP
    return DeviceType.OTHER


@lru_cache(maxsize=512)
def parse_user_agent(user_agent: str | None) -> DeviceInfo:
    """The device type, operating system and browser of a user agent string. Never fails:
    an empty or unknown user agent gives "other device" with empty names."""
    text = (user_agent or "")[:MAX_USER_AGENT]
    if not text.strip():
        return DeviceInfo(DeviceType.OTHER, "", "")
    try:
        result = parse(text)
    except Exception:  # a parser bug must never stop a log-in
        return DeviceInfo(DeviceType.OTHER, "", "")
    operating_system = ""
    if result.os:
        family = OS_NAMES.get(result.os.family, result.os.family)
        minor = result.os.minor if result.os.family in {"iOS", "Mac OS X"} else None
        operating_system = _with_version(family, result.os.major, minor)
    browser = ""
    if result.user_agent:
        browser = _with_version(result.user_agent.family, result.user_agent.major)
    return DeviceInfo(str(_device_type(result)), operating_system[:60], browser[:60])
