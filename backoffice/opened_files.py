"""What `kitpkg open` leaves on the back office's disk: the plaintext of an opened package, each file
readable by its owner only, in a folder of the owner's own.

The names come from the package (checked by the opener, and again here before the disk), so nothing is
written outside the folder; every file is a new one renamed over its name, so neither a symlink nor a
file someone else planted receives the bytes.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from backoffice.opener import OpenedPackage
from kitd.package.errors import UnsafeName
from kitd.package.ids import is_file_name


def write_opened(opened: OpenedPackage, out: Path) -> list[str]:
    """Writes what `opened` holds into `out` (a 0700 folder of the caller's own): the transaction,
    the photo, the prints, the signature, the audit records and the manifest as JSON; the paths
    written.
    """
    # Imported here: only `open` needs the image codecs.
    import numpy as np
    from PIL import Image

    from kitd.package.ansi_nist import read_transaction
    from kitd.package.files import (
        AUDIT_NAME,
        CERTIFICATE_PHOTO_NAME,
        SIGNATURE_SERIES_NAME,
        TRANSACTION_NAME,
    )

    private_folder(out, tighten=True)
    written: list[str] = []

    def write(name: str, data: bytes) -> None:
        # The opener has refused unsafe names already; this is the last check before the disk.
        if not is_file_name(name):
            raise UnsafeName("the file name", name)
        path = out / name
        write_private(path, data)
        written.append(str(path))

    transaction_bytes = opened.files[TRANSACTION_NAME]
    write(f"{opened.manifest.package_id}.an2", transaction_bytes)
    transaction = read_transaction(transaction_bytes)
    if transaction.face_jpeg is not None:
        write("face.jpg", transaction.face_jpeg)
    for finger in transaction.fingers:
        write(f"finger-{finger.position:02d}.wsq", finger.wsq)
    if transaction.signature_pixels is not None:
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(transaction.signature_pixels), mode="L").save(
            buffer, "PNG"
        )
        write("signature.png", buffer.getvalue())
    if SIGNATURE_SERIES_NAME in opened.files:
        write(SIGNATURE_SERIES_NAME, opened.files[SIGNATURE_SERIES_NAME])
    if CERTIFICATE_PHOTO_NAME in opened.files:
        write(CERTIFICATE_PHOTO_NAME, opened.files[CERTIFICATE_PHOTO_NAME])
    if AUDIT_NAME in opened.files:
        write(AUDIT_NAME, opened.files[AUDIT_NAME])
        records = [
            {
                "seq": r.seq,
                "time": r.time,
                "kind": r.kind.value,
                "operator_id": r.operator_id,
                "fields": _jsonable(r.fields),
                "hash": r.hash.hex(),
            }
            for r in opened.audit_records
        ]
        write("audit.json", json.dumps(records, indent=2).encode("utf-8"))
    write("manifest.json", json.dumps(opened.manifest.as_dict(), indent=2, sort_keys=True).encode())
    write(
        "application.json",
        json.dumps(transaction.application_data, indent=2, sort_keys=True).encode("utf-8"),
    )
    return written


def private_folder(folder: Path, *, tighten: bool) -> None:
    """`folder` created 0700 when missing; `tighten` (kitpkg open's own --out) also refuses an
    existing one that another user owns and takes group and others off it, which a shared parent
    such as the working folder must not get.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not tighten:
        return
    info = folder.stat()
    if info.st_uid != os.geteuid():
        raise PermissionError(
            f"--out {folder} belongs to uid {info.st_uid}: its owner could read what is written "
            "there; give a folder of your own"
        )
    if info.st_mode & 0o077:
        folder.chmod(0o700)


def write_private(path: Path, data: bytes) -> None:
    """`data` as `path`, readable by its owner only, whatever the umask: always a new file, renamed
    over the name, so neither a symlink nor a file someone else put there (and could read again)
    receives the bytes.
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600, O_EXCL
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
