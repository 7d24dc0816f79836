"""Visits: the session state machine (plain Python, no devices, no gRPC) and the one-visit-at-a-time
manager. Captured images live only in memory, inside the session, until the package is sealed.
"""
