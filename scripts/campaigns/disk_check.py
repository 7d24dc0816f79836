"""What must hold on the kit's disk while its daemon is dead (the kill storm's check after every kill).

Every file in the outbox is a whole package matching its row, the audit chain verifies (a torn last
record is allowed and counted: the daemon repairs it) and no plaintext biometric is anywhere in the
state folder: no image, WSQ, ISO 19794 or ANSI/NIST magic bytes, and no fragment of any file the
receiver decrypted.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from kitd.audit.verify import verify_log_bytes
from kitd.keys.key_list import KitKeyList
from kitd.package.envelope import parse_frame

# Plaintext that must never be on the kit's disk: JPEG (JFIF/Exif), PNG, WSQ, ISO 19794-4 / -7
# records and an ANSI/NIST-ITL Type-1 record.
MAGICS = {
    "jpeg-jfif": b"JFIF\x00",
    "jpeg-exif": b"Exif\x00\x00",
    "png": b"\x89PNG\r\n\x1a\n",
    "wsq": b"\xff\xa0\xff\xa8",
    "iso19794-4": b"FIR\x000",
    "iso19794-7": b"SDI\x000",
    "ansi-nist": b"1.001:",
}
FRAGMENT = 48


class DiskCheck:
    """What must hold on the kit's disk while the daemon is dead."""

    def __init__(self, state: Path, kit_keys: KitKeyList) -> None:
        self.state = state
        self.kit_keys = kit_keys
        self.fragments: dict[bytes, str] = {}
        self.torn_tails = 0

    def learn(self, files: dict[str, bytes], package_id: str) -> None:
        for name, content in files.items():
            # The biometric files; the manifest and audit stretch are not secret from the kit.
            if name.startswith(("audit", "manifest")):
                continue
            if len(content) >= 4 * FRAGMENT:
                for at in (len(content) // 3, len(content) // 2, len(content) - 2 * FRAGMENT):
                    self.fragments[content[at : at + FRAGMENT]] = f"{package_id}/{name}"

    def problems(self) -> list[str]:
        """Everything that does not hold on the disk right now (none when all is well)."""
        return self._outbox_files() + self._audit_chain() + self._plaintext()

    def _outbox_files(self) -> list[str]:
        """Every file in the outbox is a whole package whose digest is its row's."""
        found: list[str] = []
        rows = self._rows()
        for path in sorted((self.state / "outbox" / "packages").glob("*")):
            data = path.read_bytes()
            try:
                frame = parse_frame(data)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                found.append(f"corrupt outbox file {path.name}: {exc}")
                continue
            row = rows.get(frame.header.package_id)
            if row is not None and row != hashlib.sha256(data).hexdigest():
                found.append(f"outbox file {path.name} does not match its row")
        return found

    def _audit_chain(self) -> list[str]:
        """The audit chain verifies; a torn last record is counted, not a finding."""
        log = self.state / "audit.log"
        if not log.exists():
            return []
        try:
            report = verify_log_bytes(log.read_bytes(), self.kit_keys)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            return [f"audit chain does not verify: {exc}"]
        self.torn_tails += int(report.torn_tail)
        return []

    def _plaintext(self) -> list[str]:
        """No file of the state folder holds a biometric magic or a fragment of a decrypted file."""
        found: list[str] = []
        for path in sorted(p for p in self.state.rglob("*") if p.is_file()):
            data = path.read_bytes()
            where = path.relative_to(self.state)
            found += [
                f"{kind} magic bytes in {where}" for kind, magic in MAGICS.items() if magic in data
            ]
            found += [
                f"plaintext of {origin} in {where}"
                for fragment, origin in self.fragments.items()
                if fragment in data
            ]
        return found

    def _rows(self) -> dict[str, str]:
        database = self.state / "outbox" / "outbox.sqlite3"
        if not database.exists():
            return {}
        db = sqlite3.connect(database, timeout=5)
        try:
            return dict(
                db.execute("SELECT package_id, sha256 FROM packages WHERE state != 'deleted'")
            )
        except sqlite3.Error:
            return {}
        finally:
            db.close()
