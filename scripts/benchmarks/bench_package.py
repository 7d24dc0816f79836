"""Package benchmarks: seal (sign + encrypt, images already encoded) and open times per visit, outbox
enqueue and upload-acknowledge throughput, and with --soak a long crash-consistency run.

The visit is synthetic (a 480x600 JPEG face, two 320x400 fingers, a signature), built by the package tests'
visit factory. Keys are a file kit key and, when SoftHSM2 is installed, a token key as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from figures import Context, Figure, time_ms

from kitharness.measures import median, percentile


def run(ctx: Context) -> list[Figure]:
    from backoffice.opener import open_package
    from kitd.keys.file_key import FileKeySigner
    from kitd.keys.key_list import KitKeyList
    from kitd.keys.recipient import RecipientKeyPair, load_recipient_private_key
    from kitd.package.files import encode_images
    from kitd.package.sealer import PackageSealer
    from kitharness.contents import make_visit

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        signer = FileKeySigner.generate(root / "kitkey" / "kit.key.pem")
        visit = make_visit()
        # The opener binds a kit key to the kit the manifest names: the key is the visit's kit's.
        keys = KitKeyList()
        keys.publish(visit.kit_id, signer.public_key)
        recipient = load_recipient_private_key(RecipientKeyPair.generate(root / "bo").private_path)
        sealer = PackageSealer(signer, recipient.public_key())
        images = encode_images(visit)
        encode = time_ms(lambda: encode_images(visit), repeat=10)
        seal = time_ms(lambda: sealer.seal(visit, images), repeat=60)
        sealed = sealer.seal(visit, images)
        opened = time_ms(lambda: open_package(sealed.data, recipient, keys), repeat=60)
        size = {"package_bytes": sealed.size}
        figures += [
            Figure("package", "seal, file key (median)", median(seal), "ms", ("<=", 10.0), size),
            Figure("package", "seal, file key (p95)", percentile(seal, 0.95), "ms"),
            Figure("package", "open + verify (median)", median(opened), "ms"),
            Figure("package", "image encoding, excluded above (median)", median(encode), "ms"),
        ]
        token_seal = _token_seal_ms(ctx, root, recipient, visit, images)
        if token_seal is not None:
            figures.append(
                Figure(
                    "package", "seal, SoftHSM2 key (median)", median(token_seal), "ms", ("<=", 10.0)
                )
            )
        figures += _outbox_throughput(root, sealer, visit, images, keys, recipient)
    if ctx.soak:
        figures.append(_soak(ctx))
    return figures


def _token_seal_ms(
    ctx: Context, root: Path, recipient: object, visit: object, images: object
) -> list[float] | None:
    from kitd.keys.pkcs11_key import Pkcs11Signer
    from kitd.package.sealer import PackageSealer
    from kitharness.softhsm import find_softhsm_module, init_token

    module = find_softhsm_module()
    if module is None:
        return None
    conf = init_token(root / "softhsm", "bench", "2222", "1111")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    signer = Pkcs11Signer.generate(module, "bench", "2222", "kit-bench")
    try:
        sealer = PackageSealer(signer, recipient.public_key())  # type: ignore[attr-defined]
        return time_ms(lambda: sealer.seal(visit, images), repeat=40)  # type: ignore[arg-type]
    finally:
        signer.close()


def _outbox_throughput(
    root: Path, sealer: object, visit: object, images: object, keys: object, recipient: object
) -> list[Figure]:
    from backoffice.demo_pki import generate_demo_pki
    from backoffice.receiver import PackageReceiver, ReceiverConfig
    from kitd.outbox.config import OutboxConfig
    from kitd.outbox.outbox import Outbox

    count = 40
    packages = [sealer.seal(visit, images).data for _ in range(count)]  # type: ignore[attr-defined]
    pki = generate_demo_pki(root / "pki")
    receiver = PackageReceiver(
        ReceiverConfig(root / "received", pki.ca_cert, pki.server_cert, pki.server_key),
        recipient,  # type: ignore[arg-type]
        keys,  # type: ignore[arg-type]
    )
    receiver.start()
    try:
        outbox = Outbox(
            OutboxConfig(
                state_dir=root / "outbox",
                receiver_url=receiver.url,
                client_cert=pki.client_cert,
                client_key=pki.client_key,
                ca_cert=pki.ca_cert,
                min_free_bytes=0,
            )
        )
        start = time.perf_counter()
        for data in packages:
            outbox.enqueue(data)
        enqueue_s = time.perf_counter() - start
        start = time.perf_counter()
        result = outbox.flush()
        flush_s = time.perf_counter() - start
    finally:
        receiver.stop()
    extra = {"packages": count, "package_bytes": len(packages[0]), "acknowledged": result.uploaded}
    return [
        Figure(
            "package",
            "outbox enqueue (fsync, rename, WAL commit)",
            count / enqueue_s,
            "packages/s",
            None,
            extra,
        ),
        Figure(
            "package",
            "upload + receipt + delete, loopback mTLS",
            result.uploaded / flush_s,
            "packages/s",
            None,
            extra,
        ),
    ]


def _soak(ctx: Context) -> Figure:
    rounds = 300
    env = {**os.environ, "KITD_CRASH_ROUNDS": str(rounds)}
    pytest = shutil.which("pytest", path=str(ctx.repo_root / ".venv" / "bin")) or "pytest"
    completed = subprocess.run(
        [pytest, "-q", "-p", "no:cacheprovider", "-o", "timeout=3600",
         str(ctx.repo_root / "tests" / "outbox" / "test_crash_consistency.py")],
        check=False, cwd=ctx.repo_root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    passed = completed.returncode == 0
    return Figure(
        "package",
        "crash soak: SIGKILL rounds (writer + uploader) without loss",
        float(2 * rounds if passed else 0),
        "kills",
        (">=", float(2 * rounds)),
        {"passed": passed, "tail": completed.stdout[-400:]},
    )
