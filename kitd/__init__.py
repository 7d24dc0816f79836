"""kitd: the capture daemon of the portable eID enrolment kit."""

__version__ = "0.1.0"
