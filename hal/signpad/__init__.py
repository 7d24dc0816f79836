"""Signature pads: the SignaturePad interface and its drivers."""

from hal.signpad.base import ButtonPress, PadEvent, PadInfo, PenSample, SignaturePad

__all__ = ["ButtonPress", "PadEvent", "PadInfo", "PenSample", "SignaturePad"]
