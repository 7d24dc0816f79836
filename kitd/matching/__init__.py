"""1:1 fingerprint comparison on the kit: minutiae templates, their extraction and their comparison.

The duplicate-finger check of an enrollment and the verification of a card delivery both use it. Nothing
here touches a device, a file or the network: images and templates come in as values, scores go out.
"""
