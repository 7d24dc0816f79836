"""The outbox: sealed packages on disk until the back office has acknowledged them, and the uploader that
delivers them (docs/backoffice.md is the contract).

The outbox only ever holds sealed bytes; it must never read a package's contents or store anything it
could read. Durability order: file written, fsynced, renamed, directory fsynced, and only then the row.
"""
