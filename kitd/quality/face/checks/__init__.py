"""The face measures: small pure functions from landmarks or pixels to one native value each.

Head pose in pose.py; roll, position and size in geometry.py; the face's light and colour in
photometry.py; eyes, mouth and forehead in appearance.py; the background in background.py; image
defects (focus, motion, blockiness) in image.py and a JPEG file's quality setting in jpeg.py. None of
them applies a threshold: judgement.py does that with the limits in thresholds.py.
"""
