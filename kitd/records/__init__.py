"""Standard biometric record formats written and read by kitd (WSQ, ISO/IEC 19794-4 and -7)."""
