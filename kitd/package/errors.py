"""Typed errors raised while building or opening a package; each says what was found and where to look.

The opener raises exactly one of these for each kind of damage, so the back office can tell transport
corruption from a wrong key, a re-sealed package or an edited manifest.
"""

from __future__ import annotations


class PackageError(Exception):
    """Base class for every package problem."""


class PackageBuildError(PackageError):
    """The visit contents cannot be packaged (bad finger code, undecodable signature image, ...)."""


class MalformedPackage(PackageError):
    """The bytes are not a kitd sealed package (bad magic, truncated frame, unreadable header)."""


class CiphertextCorrupted(PackageError):
    """The sealed body does not match the digest in its frame: damaged in transit or edited."""


class WrongRecipientKey(PackageError):
    """The package was sealed to a recipient key other than the one offered to open it."""

    def __init__(self, sealed_to: str, offered: str) -> None:
        super().__init__(
            f"the package is sealed to recipient key {sealed_to}; the key offered is {offered}"
        )
        self.sealed_to = sealed_to
        self.offered = offered


class HeaderMismatch(PackageError):
    """Decryption refused: the header is not the one the body was sealed with (swapped or edited)."""


class UnknownKitKey(PackageError):
    """The manifest is signed by a kit key that is not in the published kit key list."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"the manifest is signed by kit key {key_id}, which is not in the published kit key list"
        )
        self.key_id = key_id


class SignatureInvalid(PackageError):
    """The COSE_Sign1 signature over the manifest does not verify: the manifest was edited."""


class RecipientMismatch(PackageError):
    """The signed manifest names another recipient than the header: the package was re-sealed."""

    def __init__(self, manifest_recipient: str, header_recipient: str) -> None:
        super().__init__(
            f"the kit sealed this package for recipient {manifest_recipient}, but it arrived sealed "
            f"to {header_recipient}: it was opened and re-sealed by someone else"
        )
        self.manifest_recipient = manifest_recipient
        self.header_recipient = header_recipient


class PackageIdMismatch(PackageError):
    """The header's package id differs from the signed manifest's."""


class FileDigestMismatch(PackageError):
    """A file's size or SHA-256 differs from the signed manifest, or a listed file is missing."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"package file {name!r}: {reason}")
        self.name = name


class KitKeyNotForKit(PackageError):
    """The signing kit key is published for another kit than the one the package claims to come from."""

    def __init__(self, key_id: str, key_kit_id: str, claimed_kit_id: str) -> None:
        super().__init__(
            f"kit key {key_id} is published for kit {key_kit_id!r}, but the package claims to come "
            f"from kit {claimed_kit_id!r}"
        )
        self.key_id = key_id
        self.key_kit_id = key_kit_id
        self.claimed_kit_id = claimed_kit_id


class RetiredKitKey(PackageError):
    """The package was sealed after its kit key was retired: a retired key signs nothing new."""

    def __init__(self, key_id: str, retired_at: str, sealed_at: str) -> None:
        super().__init__(
            f"kit key {key_id} was retired at {retired_at}; the package says it was sealed at "
            f"{sealed_at}"
        )
        self.key_id = key_id
        self.retired_at = retired_at
        self.sealed_at = sealed_at


class UnsafeName(MalformedPackage):
    """A name taken from the package (its id, a file name) could not safely become a file name."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"{what} {name[:80]!r} is not a safe name; nothing was written")
        self.what = what
        self.name = name
