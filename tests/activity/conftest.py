"""The activity tests' own tiny ASN database: a few documentation networks (RFC 5737, RFC 3849)
with an internet provider each, written with mmdb-writer the way GeoLite2-ASN is laid out, so
provider look-ups run against a real .mmdb file without downloading one."""

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

# Address -> what the tiny database says about its network.
KPN_IP = "192.0.2.77"  # 192.0.2.0/24
ZIGGO_IP = "198.51.100.23"  # 198.51.100.0/24
IPV6_IP = "2001:db8:1:2::5"  # 2001:db8::/32
UNKNOWN_IP = "203.0.113.9"  # not in the database
NETWORKS = {
    "192.0.2.0/24": {
        "autonomous_system_number": 1136,
        "autonomous_system_organization": "KPN B.V.",
    },
    "198.51.100.0/24": {
        "autonomous_system_number": 33915,
        "autonomous_system_organization": "Vodafone Libertel B.V.",
    },
    "2001:db8::/32": {
        "autonomous_system_number": 64512,
        "autonomous_system_organization": "Example IPv6 Provider",
    },
}

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_WINDOWS_NEWER = CHROME_WINDOWS.replace("Chrome/131.0.0.0", "Chrome/132.0.0.0")
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
)


def write_asn_database(path, networks=NETWORKS):
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-ASN",
        languages=["en"],
        description="activity tests",
    )
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def asn_database(tmp_path, settings):
    """settings.ASN_DATABASE_PATH points at a tiny database of this test's own."""
    path = write_asn_database(tmp_path / "asn.mmdb")
    settings.ASN_DATABASE_PATH = str(path)
    return path
