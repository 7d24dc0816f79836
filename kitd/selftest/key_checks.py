"""Self-test of the kit's keys: the kit key signs and verifies, and no configured certificate has expired.

The check signs a fixed challenge with the kit key through the normal signer (PKCS#11 or file) and
verifies it with the public half; it never reads or exports private key material. Certificates are read
from the files kitd.toml names (API TLS, outbox mutual TLS).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kitd.keys.key_list import KitKeyList
from kitd.selftest.context import SelfTestContext
from kitd.selftest.probe import CheckSpec, Probe, ProbeItem
from kitd.selftest.result import Verdict

KIT_KEY = CheckSpec("kit.key", "Kit signing key present and usable")
CERTIFICATES = CheckSpec("kit.certificates", "Certificates not expired")

_CHALLENGE = b"kit-selftest: the kit key signs this challenge"
_DAY_S = 86400.0

# Configured certificate files, as (configuration key, what the certificate is for).
_CERTIFICATE_KEYS = (
    ("outbox.client_cert", "the kit's certificate for uploading to the back office"),
    ("outbox.ca_cert", "the back office's CA certificate"),
    ("api.tls_cert", "the API's TLS certificate"),
    ("api.tls_client_ca", "the API's client CA certificate"),
)


class KeyProbe(Probe):
    """The self-test of the kit key and the certificates."""

    title = "Kit key and certificates"

    def checks(self, context: SelfTestContext) -> tuple[CheckSpec, ...]:
        return (KIT_KEY, CERTIFICATES)

    def run(self, context: SelfTestContext) -> Iterator[ProbeItem]:
        yield self._kit_key(context)
        yield self._certificates(context)

    def _kit_key(self, context: SelfTestContext) -> ProbeItem:
        signer = context.signer
        if signer is None:
            return KIT_KEY.result(
                Verdict.FAIL,
                hint="No kit key is loaded. Check the [keys] section of kitd.toml "
                "(backend, key_file or the PKCS#11 token), then restart kitd.",
            )
        started = time.perf_counter()
        signature = signer.sign_es256(_CHALLENGE)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            signer.public_key.verify(der, _CHALLENGE, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return KIT_KEY.result(
                Verdict.FAIL,
                value=elapsed_ms,
                unit="ms",
                limit="signs and verifies",
                hint="The kit key produced a signature that does not verify: the key store is "
                "damaged. Do not take visits; send this report to support.",
            )
        published = context.config.published_keys_file
        keys = KitKeyList.load(published) if published.exists() else KitKeyList()
        if keys.get(signer.key_id) is None:
            return KIT_KEY.result(
                Verdict.WARN,
                value=elapsed_ms,
                unit="ms",
                limit="signs and verifies",
                hint=f"The kit key {signer.key_id} is not in the published key list {published}: "
                "restart kitd so it publishes the key, and give the list to the back office.",
            )
        return KIT_KEY.result(Verdict.PASS, value=elapsed_ms, unit="ms", limit="signs and verifies")

    def _certificates(self, context: SelfTestContext) -> ProbeItem:
        found: list[tuple[float, str, str, Path]] = []
        for key, purpose in _CERTIFICATE_KEYS:
            section, _, name = key.partition(".")
            path = getattr(getattr(context.config, section), name)
            if path is None:
                continue
            try:
                certificates = x509.load_pem_x509_certificates(Path(path).read_bytes())
            except (OSError, ValueError) as exc:
                return CERTIFICATES.result(
                    Verdict.FAIL,
                    hint=f"{key} ({path}) cannot be read as a PEM certificate ({exc}). "
                    "Install the certificate file from the back office again.",
                )
            for certificate in certificates:
                found.append(_remaining(certificate, context.now, key, purpose, Path(path)))
        limit = f"> {context.limits.certificate_warn_days:g} days left"
        if not found:
            return CERTIFICATES.result(
                Verdict.SKIPPED, unit="days", limit=limit, hint="No certificates are configured."
            )
        days, key, purpose, path = min(found)
        if days <= 0:
            return CERTIFICATES.result(
                Verdict.FAIL,
                value=days,
                unit="days",
                limit=limit,
                hint=f"{purpose} ({key} = {path}) is not valid now ({_validity_text(days)}). "
                "Install a renewed certificate from the back office, then restart kitd.",
            )
        if days < context.limits.certificate_warn_days:
            return CERTIFICATES.result(
                Verdict.WARN,
                value=days,
                unit="days",
                limit=limit,
                hint=f"{purpose} ({key} = {path}) expires in {days:.0f} days. "
                "Ask the back office for a renewed certificate before then.",
            )
        return CERTIFICATES.result(Verdict.PASS, value=days, unit="days", limit=limit)


def _remaining(
    certificate: x509.Certificate, now: float, key: str, purpose: str, path: Path
) -> tuple[float, str, str, Path]:
    """Days of validity left (negative once expired; 0 when not yet valid)."""
    moment = datetime.fromtimestamp(now, UTC)
    if certificate.not_valid_before_utc > moment:
        return (
            0.0,
            key,
            f"{purpose} (not valid before {certificate.not_valid_before_utc:%Y-%m-%d})",
            path,
        )
    left = (certificate.not_valid_after_utc - moment).total_seconds() / _DAY_S
    return round(left, 2), key, purpose, path


def _validity_text(days: float) -> str:
    if days < 0:
        return f"expired {-days:.0f} days ago"
    return "not valid yet or expiring today"
