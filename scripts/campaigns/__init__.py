"""The reliability soaks of `./scripts/soak`, one module per campaign.

Each campaign module offers `CAMPAIGN`: its name, its one-line help, its options, the function that
runs it and returns its figures, and the verdict on those figures (what makes the command exit 1).
`dispatch.py` builds the command line from them; the modules share the Kids-ID visit up to its
finalize (`kids_visit.py`), the audit log's verdict and a few measures. Every campaign starts its kit
with the harness (`kitharness`), as the tests do.
"""
