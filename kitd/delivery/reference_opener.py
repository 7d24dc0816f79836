"""The kit's side of a card delivery's reference download: its keys, configured or not.

The opener holds the kit's delivery key and the back office's reference signer key; a kit configured
without the signer key refuses every delivery with CapabilityMissing, saying what to install.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from kitd.delivery.reference import DeliveryReference, open_reference
from kitd.errors import CapabilityMissing


class ReferenceOpener:
    """Decrypts and verifies the reference downloads sealed to this kit."""

    def __init__(
        self,
        kit_id: str,
        delivery_key: ec.EllipticCurvePrivateKey,
        reference_signer: ec.EllipticCurvePublicKey | None,
    ) -> None:
        self._kit_id = kit_id
        self._delivery_key = delivery_key
        self._reference_signer = reference_signer

    def open(self, data: bytes) -> DeliveryReference:
        """A delivery's reference download, decrypted with the kit's delivery key and verified."""
        if self._reference_signer is None:
            raise CapabilityMissing(
                "no back-office reference key is configured (keys.reference_signer_public_key): "
                "this kit cannot verify a card delivery; ask the technician to install it"
            )
        return open_reference(data, self._delivery_key, self._reference_signer, self._kit_id)
