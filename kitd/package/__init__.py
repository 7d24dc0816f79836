"""The capture package: a visit's ANSI/NIST-ITL transaction, manifest and audit records, signed by the kit
(COSE_Sign1 ES256) and sealed to the back office (HPKE, RFC 9180). docs/package-format.md is the spec.

Everything here works in memory. It must never write a plaintext image, transaction or manifest to disk:
only the sealed bytes leave this package. Import the submodules directly (`kitd.package.sealer`,
`kitd.package.header`, ...); this file deliberately imports nothing so the outbox can read headers without
loading the image codecs. The format is shared: opening a package is the back office's
(`backoffice.opener`), which reads it with these modules.
"""
