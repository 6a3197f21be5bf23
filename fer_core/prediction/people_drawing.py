"""People drawn on a picture: each numbered face gets a box in its number's colour (BOX_COLOURS, shared by the photo
pages' numbered boxes and the video's), and on a video frame its top emotion."""

from __future__ import annotations

import numpy as np

from .face_tracking import TrackedFace

# RGB, one per number in turn: person 1, 2, … (or face 1, 2, … of a photo) keep their colour wherever they are drawn.
BOX_COLOURS = ((228, 87, 86), (76, 120, 168), (84, 162, 75), (245, 133, 24), (178, 121, 162), (114, 183, 178))


def box_colour(number: int) -> tuple[int, int, int]:
    """The RGB colour of face or person `number` (from 1)."""
    return BOX_COLOURS[(number - 1) % len(BOX_COLOURS)]


def draw_people(pixels: np.ndarray, people: list[TrackedFace], class_names) -> np.ndarray:
    """A copy of an RGB frame with each person's box, number and top emotion drawn in (OpenCV: a few hundred µs)."""
    import cv2  # here, not above: the pages read BOX_COLOURS without loading OpenCV

    picture = np.ascontiguousarray(pixels).copy()
    scale = max(picture.shape[:2]) / 640
    thickness = max(2, round(2 * scale))
    for face in people:
        x, y, w, h = face.box
        colour = box_colour(face.person)
        top = int(np.argmax(face.probabilities))
        label = f"{face.person} {class_names[top]} {face.probabilities[top]:.0%}"
        cv2.rectangle(picture, (x, y), (x + w, y + h), colour, thickness)
        (text_w, text_h), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, thickness)
        tag_y = y - text_h - base - 2 * thickness if y - text_h - base - 2 * thickness >= 0 else y
        cv2.rectangle(picture, (x, tag_y), (x + text_w + 2 * thickness, tag_y + text_h + base + 2 * thickness),
                      colour, -1)
        cv2.putText(picture, label, (x + thickness, tag_y + text_h + thickness), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6 * scale, (255, 255, 255), max(1, thickness // 2), cv2.LINE_AA)
    return picture
