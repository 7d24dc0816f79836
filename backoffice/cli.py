"""`kitpkg`: the back office's tool for kitd packages, and the reference receiver.

    kitpkg keygen --out DIR                          a recipient key pair (back office)
    kitpkg kit-key --out FILE --kit-id ID --key-list FILE   a file kit key, published in the key list
    kitpkg open PKG --key KEY --kit-keys LIST --out DIR [--json]
    kitpkg verify PKG --key KEY --kit-keys LIST [--json]
    kitpkg report PKG --key KEY --kit-keys LIST --out FILE.html   a visit report for people
    kitpkg audit-verify LOG --kit-keys LIST [--head HEAD] [--json]   HEAD: the log's signed head,
                                                     by default the audit.head beside the log
    kitpkg receiver --key KEY --kit-keys LIST --out DIR --pki DIR [--generate-pki] [--port N]
    kitpkg reference-keygen --out DIR                the key pair that signs reference downloads
    kitpkg reference PRINT [PRINT2] --finger N [--finger M] --kit-id ID --kit-key PUB --signer KEY
                     --out FILE [--photo JPEG] [--policy ID|FILE] [--application-reference REF]
                     [--valid-days N] [--issued-at RFC3339] [--json]
                                                     a card delivery's sealed reference download: the
                                                     enrolled prints (one per hand, one --finger each,
                                                     in order) and the enrollment photo; the validity
                                                     at most the delivery policy's cap

Exit status: 0 verified, 1 verification failed (the error type and reason are printed), 2 bad usage.
`open` writes plaintext biometrics to --out: run it only on back-office machines. `open` and `report`
write their files 0600 (the owner's only) and `open` makes --out a 0700 folder.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from backoffice.opened_files import private_folder, write_opened, write_private
from backoffice.opener import OpenedPackage, open_package
from backoffice.references import generate_signer, load_signer, sealed_reference_from_prints
from kitd.audit.errors import AuditError, AuditTruncated
from kitd.audit.head import head_path, read_head
from kitd.audit.verify import verify_log_bytes
from kitd.delivery.kit_key import load_public_key
from kitd.delivery.reference import validity_days
from kitd.keys.errors import KeyStoreError
from kitd.keys.file_key import FileKeySigner
from kitd.keys.key_list import KitKeyList
from kitd.keys.recipient import RecipientKeyPair, load_recipient_private_key
from kitd.package.errors import PackageError
from kitd.policy.loader import PolicyError, load_policies, load_policy
from kitd.policy.model import Policy

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kitpkg", description="Open and verify kitd packages.")
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="create a back-office recipient key pair")
    keygen.add_argument("--out", type=Path, required=True)

    kit_key = commands.add_parser("kit-key", help="create a file kit key and publish it")
    kit_key.add_argument("--out", type=Path, required=True, help="the key file (new)")
    kit_key.add_argument("--kit-id", required=True)
    kit_key.add_argument("--key-list", type=Path, required=True, help="created or extended")

    for name in ("open", "verify", "report"):
        sub = commands.add_parser(name, help=f"{name} a sealed package")
        sub.add_argument("package", type=Path)
        sub.add_argument("--key", type=Path, required=True, help="recipient private key (PEM)")
        sub.add_argument("--kit-keys", type=Path, required=True, help="published kit key list")
        sub.add_argument("--json", action="store_true")
        if name in ("open", "report"):
            sub.add_argument("--out", type=Path, required=True)

    audit = commands.add_parser("audit-verify", help="verify a kit's audit log")
    audit.add_argument("log", type=Path)
    audit.add_argument("--kit-keys", type=Path, required=True)
    audit.add_argument(
        "--head", type=Path, help="the log's signed head file (default: audit.head beside LOG)"
    )
    audit.add_argument("--json", action="store_true")

    ref_keygen = commands.add_parser(
        "reference-keygen", help="create the key pair that signs reference downloads"
    )
    ref_keygen.add_argument("--out", type=Path, required=True)
    reference = commands.add_parser(
        "reference", help="seal a card delivery's reference download for one kit"
    )
    reference.add_argument(
        "prints", type=Path, nargs="+", help="the enrolled prints (.wsq or images), one per hand"
    )
    reference.add_argument(
        "--finger",
        type=int,
        action="append",
        required=True,
        help="ISO position 1..10 of each print, in the order of the prints",
    )
    reference.add_argument(
        "--photo", type=Path, help="the enrollment photo, for the operator's visual check"
    )
    reference.add_argument(
        "--policy",
        default="be-eid-delivery",
        help="the delivery policy whose validity cap applies: a built-in id or a policy file",
    )
    reference.add_argument("--kit-id", required=True)
    reference.add_argument(
        "--kit-key", type=Path, required=True, help="the kit's kit-delivery-key.pub.pem"
    )
    reference.add_argument("--signer", type=Path, required=True, help="reference-signer.key.pem")
    reference.add_argument("--application-reference", default="")
    reference.add_argument("--valid-days", type=float, default=14.0)
    reference.add_argument("--issued-at", help="RFC 3339 time (default: now)")
    reference.add_argument("--out", type=Path, required=True)
    reference.add_argument("--json", action="store_true")

    receiver = commands.add_parser("receiver", help="run the reference receiver on loopback")
    receiver.add_argument("--key", type=Path, required=True)
    receiver.add_argument("--kit-keys", type=Path, required=True)
    receiver.add_argument("--out", type=Path, required=True)
    receiver.add_argument(
        "--pki", type=Path, required=True, help="folder with ca.pem, server.pem, server.key"
    )
    receiver.add_argument(
        "--generate-pki", action="store_true", help="create a demo CA there first"
    )
    receiver.add_argument("--host", default="127.0.0.1")
    receiver.add_argument("--port", type=int, default=8443)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs one kitpkg command (`argv`, or the command line) and returns its exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "keygen":
            return _keygen(args.out)
        if args.command == "kit-key":
            return _kit_key(args.out, args.kit_id, args.key_list)
        if args.command in ("open", "verify", "report"):
            return _open(args)
        if args.command == "audit-verify":
            return _audit_verify(args.log, args.kit_keys, args.head, as_json=args.json)
        if args.command == "reference-keygen":
            private, public = generate_signer(args.out)
            print(f"reference signer: private {private}, public {public}")
            return EXIT_OK
        if args.command == "reference":
            return _reference(args)
        return _receiver(args)
    except (KeyStoreError, OSError) as exc:
        print(f"kitpkg: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _keygen(out: Path) -> int:
    pair = RecipientKeyPair.generate(out)
    print(f"recipient key {pair.key_id}: private {pair.private_path}, public {pair.public_path}")
    return EXIT_OK


def _kit_key(out: Path, kit_id: str, key_list_path: Path) -> int:
    signer = FileKeySigner.generate(out)
    keys = KitKeyList.load(key_list_path) if key_list_path.exists() else KitKeyList()
    keys.publish(kit_id, signer.public_key)
    keys.save(key_list_path)
    print(f"kit key {signer.key_id} for {kit_id}: {out}; published in {key_list_path}")
    return EXIT_OK


def _reference(args: argparse.Namespace) -> int:
    if len(args.finger) != len(args.prints) or not 1 <= len(args.prints) <= 2:
        print("kitpkg: give one or two prints, one --finger for each", file=sys.stderr)
        return EXIT_USAGE
    if not all(1 <= finger <= 10 for finger in args.finger):
        print("kitpkg: --finger must be an ISO position 1..10", file=sys.stderr)
        return EXIT_USAGE
    issued = (
        datetime.fromisoformat(args.issued_at.replace("Z", "+00:00")) if args.issued_at else None
    )
    try:
        policy = _delivery_policy(args.policy)
        valid_for = validity_days(args.valid_days, policy.delivery.max_reference_validity_days)
        reference, sealed = sealed_reference_from_prints(
            list(zip(args.finger, args.prints, strict=True)),
            args.kit_id,
            args.application_reference,
            signer=load_signer(args.signer),
            kit_delivery_key=load_public_key(args.kit_key),
            photo_path=args.photo,
            issued_at=issued,
            valid_for=valid_for,
        )
    except (ValueError, PolicyError) as exc:
        print(f"kitpkg: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.out.write_bytes(sealed)
    summary = {
        "reference_id": reference.reference_id,
        "kit_id": reference.kit_id,
        "fingers": list(reference.positions),
        "minutiae": [f.template.count for f in reference.fingers],
        "photo_bytes": len(reference.photo),
        "policy_id": policy.id,
        "expires_at": reference.expires_at.isoformat(),
        "path": str(args.out),
    }
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        fingers = ", ".join(
            f"finger {f.finger} ({f.template.count} minutiae)" for f in reference.fingers
        )
        photo = f"a photo of {len(reference.photo)} bytes" if reference.photo else "no photo"
        print(
            f"reference {reference.reference_id} for kit {reference.kit_id}: {fingers}, {photo}, "
            f"valid until {reference.expires_at.isoformat()}: {args.out}"
        )
    return EXIT_OK


def _delivery_policy(name: str) -> Policy:
    """A delivery policy: a policy file, or a built-in one by id."""
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        policy = load_policy(path)
    else:
        found = load_policies().by_id.get(name)
        if found is None:
            raise PolicyError(f"no built-in policy {name!r}; give its id or a policy file")
        policy = found
    if not policy.delivery.required:
        raise PolicyError(f"{policy.id} is not a delivery policy ([delivery] required = true)")
    return policy


def _failure(exc: Exception, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}, indent=2))
    else:
        print(f"NOT VERIFIED - {type(exc).__name__}: {exc}", file=sys.stderr)
    return EXIT_FAILED


def _open(args: argparse.Namespace) -> int:
    recipient = load_recipient_private_key(args.key)
    kit_keys = KitKeyList.load(args.kit_keys)
    try:
        opened = open_package(args.package.read_bytes(), recipient, kit_keys)
        written = []
        if args.command == "open":
            written = write_opened(opened, args.out)
        elif args.command == "report":
            from backoffice.report import visit_report

            private_folder(args.out.parent, tighten=False)
            write_private(args.out, visit_report(opened).encode("utf-8"))
            written = [str(args.out)]
    except (PackageError, AuditError) as exc:
        return _failure(exc, as_json=args.json)
    report = _report(opened, written)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        manifest = opened.manifest
        print(f"VERIFIED package {manifest.package_id} from kit {manifest.kit_id}")
        print(f"  signed by kit key {manifest.kit_key_id}, sealed {manifest.sealed_at}")
        print(
            f"  policy {manifest.policy_id} {manifest.policy_version}, profile {manifest.document_profile}"
        )
        for entry in manifest.files:
            print(f"  {entry.name:24} {entry.size:>9} B  sha256 {entry.sha256[:16]}...")
        print(f"  audit records: {len(opened.audit_records)}")
        if manifest.eligibility is not None:
            e = manifest.eligibility
            shown = f"shown, dated {e.certificate_date}" if e.certificate_shown else "not shown"
            print(
                f"  eligibility: request {e.request_reference or '-'} filed by "
                f"{e.filed_by or '-'} {e.organisation}; doctor's certificate {shown}; "
                f"place {e.place or '-'} {e.facility}".rstrip()
            )
            if e.override_operator:
                print(f"  eligibility overridden by {e.override_operator}: {e.override_reason}")
        for path in written:
            print(f"  wrote {path}")
    return EXIT_OK


def _report(opened: OpenedPackage, written: list[str]) -> dict[str, Any]:
    return {
        "ok": True,
        "package_id": opened.manifest.package_id,
        "sealed_sha256": opened.sealed_sha256,
        "manifest": opened.manifest.as_dict(),
        "audit_records": len(opened.audit_records),
        "written": written,
    }


def _audit_verify(log: Path, kit_keys_path: Path, head_file: Path | None, *, as_json: bool) -> int:
    kit_keys = KitKeyList.load(kit_keys_path)
    head_file = head_file or head_path(log)
    try:
        head = read_head(head_file)
        if head is None and head_file != head_path(log):
            raise AuditTruncated(f"the signed head {head_file} does not exist")
        report = verify_log_bytes(log.read_bytes(), kit_keys, head=head)
    except AuditError as exc:
        return _failure(exc, as_json=as_json)
    summary = {
        "ok": True,
        "records": report.count,
        "last_seq": report.last_seq,
        "head_hash": report.head_hash.hex(),
        "checkpoints": report.checkpoints,
        "signed_head_seq": None if head is None else head.seq,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        reach = (
            f"reaches its signed head (record {head.seq})"
            if head is not None
            else f"no signed head file ({head_file.name}): its length is not vouched for"
        )
        print(
            f"VERIFIED audit log {log}: {report.count} records up to {report.last_seq}, "
            f"{report.checkpoints} signed checkpoints, head {report.head_hash.hex()[:16]}..., {reach}"
        )
    return EXIT_OK


def _receiver(args: argparse.Namespace) -> int:
    from backoffice.demo_pki import generate_demo_pki
    from backoffice.receiver import PackageReceiver, ReceiverConfig

    if args.generate_pki:
        pki = generate_demo_pki(args.pki)
        print(
            f"demo PKI in {args.pki}: give the kit {pki.ca_cert}, {pki.client_cert}, {pki.client_key}"
        )
    receiver = PackageReceiver(
        ReceiverConfig(
            args.out,
            args.pki / "ca.pem",
            args.pki / "server.pem",
            args.pki / "server.key",
            host=args.host,
            port=args.port,
        ),
        load_recipient_private_key(args.key),
        KitKeyList.load(args.kit_keys),
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    receiver.start()
    print(f"receiving on {receiver.url}/packages/{{id}}, storing in {args.out}", flush=True)
    stop.wait()
    receiver.stop()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
