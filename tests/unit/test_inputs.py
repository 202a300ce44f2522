"""Input checks: each problem names the property and the fix; unknowns pass; secrets stay unprinted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from vcf_provider.api.settings import base_url, connection_settings, read_ca_bundle, same_host
from vcf_provider.resources.inputs import check


@pytest.fixture(scope="module")
def ca_pem() -> str:
    import trustme

    return trustme.CA().cert_pem.bytes().decode("ascii")


VALID = {"host": "sddc.example.test", "refresh_token": "5f1d3c1e-0b7a-4a55-9f43-2b9d1c0e7a11"}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("sddc.example.test", "https://sddc.example.test"),
        ("sddc.example.test:8443", "https://sddc.example.test:8443"),
        ("https://sddc.example.test/", "https://sddc.example.test"),
        ("HTTPS://10.0.0.5:443/api/", "https://10.0.0.5/api"),
        ("https://SDDC.Example.Test:443", "https://sddc.example.test"),
        ("::1", "https://[::1]"),
        ("  sddc.example.test  ", "https://sddc.example.test"),
        ("[fd00::5]:8443", "https://[fd00::5]:8443"),
    ],
)
def test_host_forms_become_one_base_url(host: str, expected: str) -> None:
    assert base_url(host) == expected


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("http://sddc.example.test", "only https:// is allowed"),
        ("ftp://sddc.example.test", "only https:// is allowed"),
        ("https://admin:pw@sddc.example.test", "must not hold credentials"),
        ("https://sddc.example.test/?x=1", "must not have a query"),
        ("sddc.example.test:99999", "port that is not a number"),
        ("sddc.example.test:0", "port 0"),
        ("bad_host!", "does not name a valid host"),
        ("", "host is empty"),
    ],
)
def test_bad_hosts_are_refused_with_the_fix(host: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        base_url(host)


def failures(**overrides: object) -> dict[str, str]:
    return {f.property: f.reason for f in check({**VALID, **overrides})}


def test_valid_inputs_pass() -> None:
    assert failures() == {}


def test_unknown_values_are_not_judged_at_preview() -> None:
    assert failures(host=UNKNOWN, refresh_token=UNKNOWN, ca_bundle=UNKNOWN, max_retries=UNKNOWN) == {}
    # An unknown secret (another resource's secret output) arrives as an Unknown object.
    assert failures(refresh_token=Unknown()) == {}  # type: ignore[no-untyped-call]


def test_missing_host_names_every_way_to_set_it() -> None:
    reason = failures(host=None)[""]
    assert reason.startswith("host is missing")
    assert "vcf:host" in reason
    assert "VCF_HOST" in reason


def test_refresh_token_problems_name_no_property_so_the_engine_prints_no_value() -> None:
    assert "refresh_token is empty" in failures(refresh_token="")[""]
    assert "pulumi config set --secret vcf:refreshToken" in failures(refresh_token="")[""]
    spaced = " 5f1d3c1e-0b7a "
    reason = failures(refresh_token=spaced)[""]
    assert "white space" in reason
    assert spaced.strip() not in reason


def test_missing_ca_bundle_file_is_reported(tmp_path: Path, ca_pem: str) -> None:
    missing = tmp_path / "nope.pem"
    assert "does not exist" in failures(ca_bundle=str(missing))["ca_bundle"]
    present = tmp_path / "ca.pem"
    present.write_text(ca_pem)
    assert failures(ca_bundle=str(present)) == {}


def test_a_ca_bundle_without_a_certificate_is_refused_at_preview(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("# the certificate was never pasted here\n")
    assert "holds no PEM certificate" in failures(ca_bundle=str(empty))["ca_bundle"]
    assert "holds no PEM certificate" in failures(ca_bundle="-----BEGIN PRIVATE KEY-----\n...")["ca_bundle"]


def test_a_ca_bundle_may_be_pem_text(ca_pem: str) -> None:
    assert failures(ca_bundle=ca_pem) == {}


def test_a_ca_bundle_whose_block_does_not_load_is_refused_at_preview() -> None:
    garbage = "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n"
    assert "does not load" in failures(ca_bundle=garbage)["ca_bundle"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("timeout_seconds", 0, "must be above 0"),
        ("timeout_seconds", -5.0, "must be above 0"),
        ("timeout_seconds", "30", "is the text '30', not a number: write it without quotes"),
        ("timeout_seconds", "abc", "timeout_seconds is the text 'abc', not a number: use a number above 0"),
        ("max_retries", "3", "max_retries is the text '3', not a number"),
        ("max_retries", [3], "is list, not a number"),
        ("max_retries", -1, "must not be below 0"),
        ("max_retries", 1.5, "is not a whole number"),
        ("renew_before_seconds", 86_401, "must not be above 86400"),
        ("renew_before_seconds", -1, "must not be below 0"),
        ("allow_unverified_tls", "maybe", "must be true or false"),
    ],
)
def test_out_of_range_settings_are_refused(name: str, value: object, message: str) -> None:
    assert message in failures(**{name: value})[name]


def test_settings_prefer_unverified_over_ca_bundle_and_default_the_numbers() -> None:
    settings = connection_settings({**VALID, "allow_unverified_tls": True, "ca_bundle": "/x.pem"})
    assert settings.verify is False
    assert settings.timeout_seconds == 30.0
    assert settings.max_retries == 3
    assert connection_settings({**VALID, "ca_bundle": "/x.pem"}).ca_bundle == "/x.pem"


def test_a_ca_bundle_path_with_a_tilde_is_found_at_preview_as_at_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ca_pem: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ca.pem").write_text(ca_pem)

    assert failures(ca_bundle="~/ca.pem") == {}
    assert read_ca_bundle("~/ca.pem").strip() == ca_pem.strip()


def test_a_ca_file_with_a_bom_and_non_ascii_text_around_its_blocks_loads(tmp_path: Path, ca_pem: str) -> None:
    import ssl

    # As `openssl x509 -text` writes it, saved by an editor that adds a BOM.
    dump = (
        "\ufeffCertificate:\n    Subject: O = Bücher GmbH, CN = Zürich CA ✓\n" + ca_pem + "trailing © text\n"
    )
    path = tmp_path / "ca.pem"
    path.write_text(dump, encoding="utf-8")

    assert failures(ca_bundle=str(path)) == {}
    assert failures(ca_bundle=dump) == {}
    pem = read_ca_bundle(str(path))
    assert pem.isascii()
    ssl.create_default_context(cadata=pem)  # what the transport does at `up`


@pytest.mark.parametrize(
    "host",
    [
        "https://admin:Hunter2Secret@sddc.example.com",
        "admin:Hunter2Secret@sddc.example.com",
        "https://admin:Hunter2Secret@sddc.example.com:99999",
        "ftp://admin:Hunter2Secret@sddc.example.com",
        "admin:Hunter2Secret@bad_host!",
    ],
)
def test_a_host_holding_a_password_is_refused_without_naming_the_property_or_echoing_it(host: str) -> None:
    (failure,) = check({**VALID, "host": host})

    # The engine prints a named property's value beside the reason: so no name, and no password.
    assert failure.property == ""
    assert failure.reason.startswith("host must not hold credentials")
    assert "Hunter2Secret" not in failure.reason
    assert "admin" not in failure.reason


@pytest.mark.parametrize(
    "host", ["sddc.example.com:99999", "sddc.example.com:0", "bad_host!", "http://x.example"]
)
def test_every_host_failure_leaves_the_property_unnamed(host: str) -> None:
    (failure,) = check({**VALID, "host": host})

    assert failure.property == ""
    assert failure.reason.startswith("host ")


def test_one_address_is_one_manager_however_it_is_spelled() -> None:
    assert base_url("[0:0:0:0:0:0:0:1]") == base_url("[::1]") == "https://[::1]"
    assert same_host("https://[0:0:0:0:0:0:0:1]:8443", "[::1]:8443")
    assert same_host("[FD00:0::5]", "fd00::5")
    assert not same_host("[::1]", "[::2]")
