"""The back office's side, for tests, demos and the reference tools: the reference receiver of the
upload contract (it opens and verifies packages, so it lives outside the outbox, which never decrypts)
and the demo PKI. The daemon never imports this package.
"""
