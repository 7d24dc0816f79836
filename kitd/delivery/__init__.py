"""The card-delivery visit's reference download: the enrollment template the back office sends down.

Sealed like a capture package in reverse (the kit's delivery key is the recipient, the back office's
key the signer). The reference exists only in memory on the kit, for one visit; it is never written to
disk by the daemon and never goes into a package.
"""
