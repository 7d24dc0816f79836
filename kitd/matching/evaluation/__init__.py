"""Measuring the comparator the way FVC reports it: folders of real prints, pair rates, visits.

Evaluation code for scripts/eval-match and the tests: the daemon never imports it, and it never writes
anything but the plot it is asked for. Every image is read and extracted once, every pair of prints
compared once (probe = the earlier print in the set's order).
"""
