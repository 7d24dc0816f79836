"""The kit's command-line programs (kitd, kitctl, kit-selftest, kit-quality) and what they share."""
