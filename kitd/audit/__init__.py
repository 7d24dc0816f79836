"""The audit trail: append-only, hash-chained CBOR records of everything that happened on the kit, with
checkpoints signed by the kit key.

Records hold who did what and why (operator ids, reasons, quality values); they must never hold an image or
any other biometric sample.
"""
