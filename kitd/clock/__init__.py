"""Time the kit can trust: the wall clock checked against a persisted high-water mark, and the kit's own
count of the time it has been running, which retention uses instead of the wall clock.
"""
