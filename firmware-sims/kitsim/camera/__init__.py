"""The simulated camera: scenes rendered from image files, served as an MJPEG stream over HTTP."""
