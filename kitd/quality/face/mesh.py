"""The 468-point face mesh through OpenCV DNN, and the names of the mesh points the checks use.

The mesh runs on a square crop around a detected face, rotated so the eyes are level, and its points are
mapped back to the image the crop came from. This module must never decide whether a photo is good: it
only locates the face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from kitd.quality.face.detection import Detection

INPUT_SIZE = 192
# The crop is this many times the detector's box, so the whole face and a margin are inside.
ROI_SCALE = 1.5
# Below this presence score the mesh is fitted to something that is not a face.
MIN_FACE_SCORE = 0.5

# Mesh point indices (MediaPipe's canonical face mesh). "Right"/"left" are the person's own sides; the
# person's right eye is on the image's left in a normal (unmirrored) photo.
RIGHT_EYE_CONTOUR = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE_CONTOUR = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)
# Upper/lower lid pairs, three across each eye.
RIGHT_EYE_LIDS = ((160, 144), (159, 145), (158, 153))
LEFT_EYE_LIDS = ((385, 380), (386, 374), (387, 373))
RIGHT_BROW = (70, 63, 105, 66, 107)
LEFT_BROW = (300, 293, 334, 296, 336)
NOSE_TIP = 1
CHIN = 152
FOREHEAD = 10
MOUTH_CORNERS = (61, 291)
INNER_LIPS = (13, 14)
RIGHT_CHEEK = 50
LEFT_CHEEK = 280
RIGHT_FACE_SIDE = 234
LEFT_FACE_SIDE = 454
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
# (person's right, person's left) mesh points that mirror each other across the face's midline, found
# once as nearest neighbours of each point's mirror image on a frontal, levelled mesh (the
# scikit-image astronaut portrait); the 28 points not listed lie on the midline.
MIRROR_PAIRS = (
    (3, 248), (7, 249), (20, 250), (21, 251), (22, 252), (23, 253), (24, 254), (25, 255),
    (26, 256), (27, 257), (28, 258), (29, 259), (30, 260), (31, 261), (32, 262), (33, 263),
    (34, 264), (35, 265), (36, 266), (37, 267), (38, 268), (39, 269), (40, 270), (41, 271),
    (42, 272), (43, 273), (44, 274), (45, 275), (46, 276), (47, 277), (48, 278), (49, 279),
    (50, 280), (51, 281), (52, 282), (53, 283), (54, 284), (55, 285), (56, 286), (57, 287),
    (58, 288), (59, 289), (60, 290), (61, 291), (62, 292), (63, 293), (64, 294), (65, 295),
    (66, 296), (67, 297), (68, 298), (69, 299), (70, 300), (71, 301), (72, 302), (73, 303),
    (74, 304), (75, 305), (76, 306), (77, 307), (78, 308), (79, 309), (80, 310), (81, 311),
    (82, 312), (83, 313), (84, 314), (85, 315), (86, 316), (87, 317), (88, 318), (89, 319),
    (90, 320), (91, 321), (92, 322), (93, 323), (95, 324), (96, 325), (97, 326), (98, 327),
    (99, 328), (100, 329), (101, 330), (102, 331), (103, 332), (104, 333), (105, 334), (106, 335),
    (107, 336), (108, 337), (109, 338), (110, 339), (111, 340), (112, 341), (113, 342), (114, 343),
    (115, 344), (116, 345), (117, 346), (118, 347), (119, 348), (120, 349), (121, 350), (122, 351),
    (123, 352), (124, 353), (125, 354), (126, 355), (127, 356), (128, 357), (129, 358), (130, 359),
    (131, 360), (132, 361), (133, 362), (134, 363), (135, 364), (136, 365), (137, 366), (138, 367),
    (139, 368), (140, 369), (141, 370), (142, 371), (143, 372), (144, 373), (145, 374), (146, 375),
    (147, 376), (148, 377), (149, 378), (150, 379), (153, 380), (154, 381), (155, 382), (156, 383),
    (157, 384), (158, 385), (159, 386), (160, 387), (161, 388), (162, 389), (163, 390), (165, 391),
    (166, 392), (167, 393), (169, 394), (170, 395), (171, 396), (172, 397), (173, 398), (174, 399),
    (176, 400), (177, 401), (178, 402), (179, 403), (180, 404), (181, 405), (182, 406), (183, 407),
    (184, 408), (185, 409), (186, 410), (187, 411), (188, 412), (189, 413), (190, 414), (191, 415),
    (192, 416), (193, 417), (194, 418), (196, 419), (198, 420), (201, 421), (202, 422), (203, 423),
    (204, 424), (205, 425), (206, 426), (207, 427), (208, 428), (209, 429), (210, 430), (211, 431),
    (212, 432), (213, 433), (214, 434), (215, 435), (216, 436), (217, 437), (218, 438), (219, 439),
    (220, 440), (221, 441), (222, 442), (223, 443), (224, 444), (225, 445), (226, 446), (227, 447),
    (228, 448), (229, 449), (230, 450), (231, 451), (232, 452), (233, 453), (234, 454), (235, 455),
    (236, 456), (237, 457), (238, 458), (239, 459), (240, 460), (241, 461), (242, 462), (243, 463),
    (244, 464), (245, 465), (246, 466), (247, 467),
)  # fmt: skip


@dataclass(frozen=True)
class MeshFit:
    """The 468-point face mesh fitted to one face, with its face score."""

    # 468 x 3: x, y in the source image's pixels; z (depth, towards the camera negative) in the same scale.
    points: NDArray[np.float32]
    # Probability that the crop held a face.
    score: float


def roi_transform(detection: Detection) -> NDArray[np.float64]:
    """The 2x3 affine map from the image into the mesh's input square, eyes level."""
    x, y, w, h = detection.box
    centre = (x + w / 2.0, y + h / 2.0)
    eye_a, eye_b = detection.keypoints[0], detection.keypoints[1]
    angle = float(np.degrees(np.arctan2(eye_b[1] - eye_a[1], eye_b[0] - eye_a[0])))
    side = ROI_SCALE * max(w, h)
    matrix = np.asarray(cv2.getRotationMatrix2D(centre, angle, INPUT_SIZE / side), dtype=np.float64)
    matrix[0, 2] += INPUT_SIZE / 2.0 - centre[0]
    matrix[1, 2] += INPUT_SIZE / 2.0 - centre[1]
    return matrix


class FaceMesh:
    """The mesh network; one instance per thread (OpenCV nets are not re-entrant)."""

    def __init__(self, net: cv2.dnn.Net) -> None:
        self._net = net
        self._outputs = list(net.getUnconnectedOutLayersNames())

    def fit(self, bgr: NDArray[np.uint8], detection: Detection) -> MeshFit:
        matrix = roi_transform(detection)
        crop = np.asarray(
            cv2.warpAffine(
                bgr,
                matrix,
                (INPUT_SIZE, INPUT_SIZE),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            ),
            dtype=np.uint8,
        )
        blob = cv2.dnn.blobFromImage(crop, 1.0 / 255.0, (INPUT_SIZE, INPUT_SIZE), swapRB=True)
        self._net.setInput(blob)
        outs = self._net.forward(self._outputs)
        raw_score, raw_points = sorted(outs, key=lambda out: int(out.size))
        score = float(1.0 / (1.0 + np.exp(-np.clip(float(raw_score.ravel()[0]), -80.0, 80.0))))
        crop_points = raw_points.reshape(468, 3).astype(np.float64)
        inverse = np.asarray(cv2.invertAffineTransform(matrix), dtype=np.float64)
        xy = crop_points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        # The map is a similarity, so depth scales like x and y.
        scale = float(np.hypot(inverse[0, 0], inverse[1, 0]))
        points = np.column_stack([xy, crop_points[:, 2] * scale]).astype(np.float32)
        return MeshFit(points=points, score=score)
