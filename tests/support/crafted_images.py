"""Image files that claim a size they do not carry: the harness's (kitharness.crafted_images)."""

from kitharness.crafted_images import jpeg_claiming, png_claiming

__all__ = ["jpeg_claiming", "png_claiming"]
