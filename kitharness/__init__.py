"""The harness that starts a whole kit from its real parts, for tests, the demo, the soaks and the bench.

Simulators as processes over their real transports (kitsim), a SoftHSM2 token for the kit key, the
reference back office and its receiver, and the daemon (`kitd serve`) as a process waited for through
sd_notify; each part is stopped again by whoever started it. Beside the running parts: synthetic visits
to seal (`contents`), a kit key and the back office it seals to (`package_kit`), image files whose
headers lie about their size (`crafted_images`) and the fuzz targets that `scripts/fuzz` and the suite
drive (`fuzz_targets`). The daemon (`kitd`) never imports this package: it is for the people and
programs around the kit, not for the kit.
"""
