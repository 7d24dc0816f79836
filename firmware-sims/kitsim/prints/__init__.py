"""Synthetic fingerprints: SFinGe-style master prints, their impressions on a platen, and the contact
score the simulated reader's auto-capture uses. No firmware or transport here.
"""
