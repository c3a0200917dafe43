"""IP addresses in words a member recognises, and shortened ones.

`provider_for(ip)`: the internet provider (the autonomous system's organisation, "KPN B.V.")
from an offline ASN database (MaxMind GeoLite2-ASN or DB-IP "IP to ASN Lite", .mmdb) at
settings.ASN_DATABASE_PATH. Nothing leaves the machine. Without a database, with an unreadable
one, or for an address it does not know, the answer is "": recording never fails on it.

`truncate_ip(ip)`: the network address of the /24 (IPv4) or /48 (IPv6) the address is in,
which is what is kept after ACTIVITY_FULL_IP_DAYS (activity.retention);
`approximate_network(ip)`: the same as a network ("192.0.2.0/24"), for display.
"""

import contextlib
import ipaddress
import logging
import threading

import maxminddb
from django.conf import settings

logger = logging.getLogger(__name__)

IPV4_PREFIX = 24
IPV6_PREFIX = 48

_lock = threading.Lock()
_reader = None  # (path, maxminddb.Reader or None), opened on first use


def _address(ip: str | None):
    """The address, an IPv4-mapped IPv6 address ("::ffff:192.0.2.7") as the IPv4 one."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(str(ip).strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _network(ip: str | None):
    address = _address(ip)
    if address is None:
        return None
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def truncate_ip(ip: str | None) -> str:
    """ "192.0.2.77" -> "192.0.2.0"; "2001:db8:1:2::5" -> "2001:db8:1::". "" for no address."""
    network = _network(ip)
    return str(network.network_address) if network else ""


def approximate_network(ip: str | None) -> str:
    """ "192.0.2.77" -> "192.0.2.0/24"; "2001:db8:1:2::5" -> "2001:db8:1::/48"."""
    network = _network(ip)
    return str(network) if network else ""


def _open_reader():
    """The reader for the configured path, opened once; opened again when the setting changes
    (tests point it at their own small database). None without a usable file."""
    global _reader
    path = str(getattr(settings, "ASN_DATABASE_PATH", "") or "")
    current = _reader
    if current is not None and current[0] == path:
        return current[1]
    with _lock:
        current = _reader
        if current is not None and current[0] == path:
            return current[1]
        reader = None
        if path:
            try:
                reader = maxminddb.open_database(path)
            except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
                # The path is configuration, not personal data.
                logger.warning("asn.database_unusable path=%s error=%s", path, type(error).__name__)
        if current is not None and current[1] is not None:
            with contextlib.suppress(Exception):  # closing an old reader must not fail a lookup
                current[1].close()
        _reader = (path, reader)
        return reader


def provider_for(ip: str | None) -> str:
    """The internet provider's name for `ip`, or "" (no database, unknown or private address,
    any problem reading)."""
    address = _address(ip)
    if address is None:
        return ""
    reader = _open_reader()
    if reader is None:
        return ""
    try:
        record = reader.get(address)
    except Exception:  # a malformed address or a damaged file: no provider, no failure
        return ""
    if not isinstance(record, dict):
        return ""
    name = record.get("autonomous_system_organization") or ""
    return str(name)[:120] if isinstance(name, str) else ""
