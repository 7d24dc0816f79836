"""The command-line programs (kitd, kitctl, kit-selftest, kit-quality), one module per command."""
