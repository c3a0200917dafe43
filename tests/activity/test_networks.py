"""The internet provider from an offline ASN database, and shortened IP addresses (R6.1)."""

import pytest

from activity.networks import approximate_network, provider_for, truncate_ip

from .conftest import IPV6_IP, KPN_IP, UNKNOWN_IP, ZIGGO_IP, write_asn_database


def test_the_provider_comes_from_the_asn_database(asn_database):
    assert provider_for(KPN_IP) == "KPN B.V."
    assert provider_for(ZIGGO_IP) == "Vodafone Libertel B.V."
    assert provider_for(IPV6_IP) == "Example IPv6 Provider"
    # An IPv4 address written the IPv6 way, as some proxies pass it on.
    assert provider_for(f"::ffff:{KPN_IP}") == "KPN B.V."


def test_an_address_the_database_does_not_know_has_no_provider(asn_database):
    assert provider_for(UNKNOWN_IP) == ""
    assert provider_for("127.0.0.1") == ""


@pytest.mark.parametrize("value", [None, "", "not an address", "999.1.1.1"])
def test_no_address_or_a_malformed_one_has_no_provider(asn_database, value):
    assert provider_for(value) == ""


def test_without_a_database_the_provider_stays_empty(settings):
    settings.ASN_DATABASE_PATH = ""
    assert provider_for(KPN_IP) == ""


def test_a_missing_file_does_not_fail(settings, tmp_path):
    settings.ASN_DATABASE_PATH = str(tmp_path / "not-there.mmdb")
    assert provider_for(KPN_IP) == ""


def test_a_garbage_file_does_not_fail(settings, tmp_path):
    garbage = tmp_path / "garbage.mmdb"
    garbage.write_bytes(b"this is no maxmind database" * 100)
    settings.ASN_DATABASE_PATH = str(garbage)
    assert provider_for(KPN_IP) == ""


def test_another_database_path_is_opened_when_the_setting_changes(asn_database, settings, tmp_path):
    assert provider_for(KPN_IP) == "KPN B.V."
    other = write_asn_database(
        tmp_path / "other.mmdb",
        {"192.0.2.0/24": {"autonomous_system_organization": "Other"}},
    )
    settings.ASN_DATABASE_PATH = str(other)
    assert provider_for(KPN_IP) == "Other"


@pytest.mark.parametrize(
    ("ip", "short", "network"),
    [
        ("192.0.2.77", "192.0.2.0", "192.0.2.0/24"),
        ("198.51.100.255", "198.51.100.0", "198.51.100.0/24"),
        ("2001:db8:1:2::5", "2001:db8:1::", "2001:db8:1::/48"),
        ("2001:db8:abcd:ffff:1:2:3:4", "2001:db8:abcd::", "2001:db8:abcd::/48"),
        ("::ffff:192.0.2.77", "192.0.2.0", "192.0.2.0/24"),
        ("", "", ""),
        (None, "", ""),
        ("nonsense", "", ""),
    ],
)
def test_addresses_are_shortened_to_their_24_or_48_network(ip, short, network):
    assert truncate_ip(ip) == short
    assert approximate_network(ip) == network
