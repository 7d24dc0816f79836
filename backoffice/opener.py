"""Opening a sealed package on the back-office side: decrypt, verify, and check every file.

The checks run in a fixed order and each kind of damage raises its own error (kitd/package/errors.py): frame and
digest, recipient key, HPKE with the header as `info`, kit key and COSE signature, manifest against header,
file digests, and the audit stretch against the signed manifest. Opening is in memory; writing what was
opened is the caller's decision (kitpkg open, the receiver), never this module's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.audit.errors import AuditTruncated
from kitd.audit.record import AuditRecord
from kitd.audit.verify import ChainAnchor, decode_records, verify_chain
from kitd.keys.key_id import key_id_of
from kitd.keys.key_list import KitKeyList, PublishedKey
from kitd.package import deterministic_cbor, hpke
from kitd.package.cose import Sign1, parse_sign1, verify_sign1
from kitd.package.envelope import parse_frame
from kitd.package.errors import (
    FileDigestMismatch,
    KitKeyNotForKit,
    MalformedPackage,
    PackageIdMismatch,
    RecipientMismatch,
    RetiredKitKey,
    UnknownKitKey,
    UnsafeName,
    WrongRecipientKey,
)
from kitd.package.files import AUDIT_NAME
from kitd.package.header import Header
from kitd.package.ids import is_file_name, is_package_id
from kitd.package.manifest import Manifest
from kitd.package.sealer import PAYLOAD_FORMAT


@dataclass(frozen=True)
class OpenedPackage:
    """A package decrypted and verified by the back office: header, manifest, files, audit."""

    header: Header
    manifest: Manifest
    files: dict[str, bytes]
    audit_records: tuple[AuditRecord, ...]
    # SHA-256 of the sealed bytes, lowercase hex (what the receipt names).
    sealed_sha256: str


def decrypt_payload(data: bytes, recipient_key: ec.EllipticCurvePrivateKey) -> tuple[Header, Any]:
    """Frame, recipient and HPKE checks; returns the header and the decoded payload map."""
    frame = parse_frame(data)
    offered = key_id_of(recipient_key.public_key())
    if frame.header.recipient_key_id != offered:
        raise WrongRecipientKey(frame.header.recipient_key_id, offered)
    plaintext = hpke.open_sealed(frame.body, recipient_key, frame.header_bytes)
    try:
        payload = deterministic_cbor.decode(plaintext)
        if payload.get("format") != PAYLOAD_FORMAT:
            raise MalformedPackage(f"unknown payload format {payload.get('format')!r}")
    except (ValueError, AttributeError) as exc:
        raise MalformedPackage(f"the decrypted payload is not readable: {exc!r}") from exc
    return frame.header, payload


def open_package(
    data: bytes, recipient_key: ec.EllipticCurvePrivateKey, kit_keys: KitKeyList
) -> OpenedPackage:
    """The package in `data` opened with the back office's `recipient_key` and checked whole against
    the published `kit_keys`, in the order of the module's checks; each kind of damage raises its own
    PackageError (or AuditError for the audit stretch).
    """
    header, payload = decrypt_payload(data, recipient_key)
    try:
        signed = parse_sign1(bytes(payload["manifest"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPackage(f"the payload lacks its manifest: {exc!r}") from exc
    files = _payload_files(payload.get("files"))
    manifest, published = _verified_manifest(signed, kit_keys)
    _check_against_header(manifest, header, published)
    _check_names(manifest)
    _check_files(manifest, files)
    records = _audit_stretch(manifest, files, kit_keys)
    return OpenedPackage(header, manifest, files, records, hashlib.sha256(data).hexdigest())


def _verified_manifest(signed: Sign1, kit_keys: KitKeyList) -> tuple[Manifest, PublishedKey]:
    """The signed manifest, once its signature verifies with the published key it names."""
    published = kit_keys.get(signed.key_id)
    if published is None:
        raise UnknownKitKey(signed.key_id)
    verify_sign1(signed, published.public_key)
    manifest = Manifest.from_cbor(signed.payload)
    if manifest.kit_key_id != signed.key_id:
        raise MalformedPackage("the manifest names another kit key than the one that signed it")
    return manifest, published


def _check_against_header(manifest: Manifest, header: Header, published: PublishedKey) -> None:
    """The signed manifest agrees with the clear header and with what its key may speak for."""
    # A published key speaks for its own kit only, and for nothing sealed after its retirement.
    if published.kit_id != manifest.kit_id:
        raise KitKeyNotForKit(published.key_id, published.kit_id, manifest.kit_id)
    if manifest.kit_id != header.kit_id:
        raise MalformedPackage(
            f"the header names kit {header.kit_id!r}, the signed manifest {manifest.kit_id!r}"
        )
    _check_not_retired(published, manifest.sealed_at)
    if manifest.recipient_key_id != header.recipient_key_id:
        raise RecipientMismatch(manifest.recipient_key_id, header.recipient_key_id)
    if manifest.package_id != header.package_id:
        raise PackageIdMismatch(
            f"the header names package {header.package_id}, the signed manifest "
            f"{manifest.package_id}"
        )


def _check_names(manifest: Manifest) -> None:
    """Names from a package end up as file names at the back office: refuse any that could escape."""
    if not is_package_id(manifest.package_id):
        raise UnsafeName("the package id", manifest.package_id)
    for entry in manifest.files:
        if not is_file_name(entry.name):
            raise UnsafeName("the file name", entry.name)


def _check_files(manifest: Manifest, files: dict[str, bytes]) -> None:
    """Every listed file present with its size and SHA-256, and no file the manifest does not list."""
    listed = {entry.name for entry in manifest.files}
    for entry in manifest.files:
        content = files.get(entry.name)
        if content is None:
            raise FileDigestMismatch(entry.name, "listed in the manifest but missing")
        if len(content) != entry.size:
            raise FileDigestMismatch(
                entry.name, f"{len(content)} bytes, the manifest says {entry.size}"
            )
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise FileDigestMismatch(entry.name, "SHA-256 differs from the manifest")
    for name in files:
        if name not in listed:
            raise FileDigestMismatch(name, "present but not listed in the manifest")


def _audit_stretch(
    manifest: Manifest, files: dict[str, bytes], kit_keys: KitKeyList
) -> tuple[AuditRecord, ...]:
    """The package's audit records, chained from the first the manifest names to its signed head."""
    if manifest.audit is None:
        return ()
    decoded, torn = decode_records(files.get(AUDIT_NAME, b""))
    if torn:
        raise AuditTruncated("the package's audit records end with a partial record")
    verify_chain(
        decoded,
        kit_keys,
        from_genesis=False,
        anchor=ChainAnchor(manifest.audit.last_seq, bytes.fromhex(manifest.audit.head_hash)),
    )
    if decoded[0].seq != manifest.audit.first_seq:
        raise AuditTruncated(
            f"the package's audit records start at {decoded[0].seq}, the manifest says "
            f"{manifest.audit.first_seq}"
        )
    return tuple(decoded)


def _payload_files(value: Any) -> dict[str, bytes]:
    """The payload's [[name, bytes], ...] list, type-checked (an integer for the bytes would
    otherwise become that many zero bytes).
    """
    if not isinstance(value, list):
        raise MalformedPackage("the payload lacks its file list")
    files: dict[str, bytes] = {}
    for item in value:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], bytes)
        ):
            raise MalformedPackage("a payload file is not a [name, bytes] pair")
        files[item[0]] = item[1]
    return files


def _utc(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedPackage(f"{what} {text[:40]!r} is not an RFC 3339 time") from exc
    if moment.tzinfo is None:
        raise MalformedPackage(f"{what} {text[:40]!r} has no time zone")
    return moment


def _check_not_retired(key: PublishedKey, sealed_at: str) -> None:
    if not key.retired_at:
        return
    retired = _utc(key.retired_at, f"the retirement time of kit key {key.key_id}")
    if _utc(sealed_at, "the manifest's sealed time") >= retired:
        raise RetiredKitKey(key.key_id, key.retired_at, sealed_at)
