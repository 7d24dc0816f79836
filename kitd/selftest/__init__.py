"""The technician's hardware self-test: checks of the devices and the kit, with figures, limits and hints.

`SelfTest(context, standard_probes()).run()` yields progress, one result per check and the final report;
the daemon's RunSelfTest and `kit-selftest --direct` both use it. The self-test reads devices through their
supervisors and the kit's state through its public objects; it must never change the kit's state
(no upload, no deletion, no key change) and never import the simulators.
"""
