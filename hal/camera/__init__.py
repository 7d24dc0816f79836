"""Cameras: the Camera interface and its drivers."""

from hal.camera.base import Camera, Frame

__all__ = ["Camera", "Frame"]
