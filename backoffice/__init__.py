"""The reference back office: what runs at the town hall, never on a kit.

The receiver of the upload contract and the demo PKI of its mutual TLS, the package opener (it needs
the back office's private key), the visit report, the reference downloads of a card delivery, and
`kitpkg`, the command for all of them. It reads and writes the package format of `kitd/package/` (and
the reference format of `kitd/delivery/`), which kit and back office share. The kit never imports this
package (tests/architecture/test_boundaries.py) and the board's wheel leaves it out (setup.py,
`KITD_WHEEL=board`).
"""
