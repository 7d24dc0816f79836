"""Capture flows: drive one device for one session step, check the result, feed the session.

A flow holds the device through its supervisor, runs the quality assessment, and records the attempt
in the session; it yields plain event objects that the API layer turns into stream messages. Flows never
write captures to disk and never decide policy (the session does).
"""
