"""Indices into the 468 FaceMesh landmarks used by more than one module.

"Right" and "left" are the subject's, as in BlazeFace: the right eye appears on the image's
left in an unmirrored frontal photo. The six-point eye sets follow the usual eye-aspect-ratio
order (outer corner, two upper lid points, inner corner, two lower lid points).
"""

from __future__ import annotations

RIGHT_EYE_OUTER = 33
RIGHT_EYE_INNER = 133
LEFT_EYE_OUTER = 263
LEFT_EYE_INNER = 362
NOSE_TIP = 1
MOUTH_RIGHT = 61
MOUTH_LEFT = 291
UPPER_LIP_INNER = 13
LOWER_LIP_INNER = 14
CHIN = 152
FOREHEAD = 10

RIGHT_EYE_EAR = (33, 160, 158, 133, 153, 144)
LEFT_EYE_EAR = (362, 385, 387, 263, 373, 380)
# the two corners and the two mid-lid points: their mean is the eye centre
RIGHT_EYE_CENTRE = [33, 133, 159, 145]
LEFT_EYE_CENTRE = [263, 362, 386, 374]
