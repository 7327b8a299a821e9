"""From class activation sequences to scored segments (numpy only).

The multi-threshold grouping, outer-inner contrast scoring and non-maximum suppression
shared by BaS-Net, BackTAL and LACP, vectorised.
"""
from ._nms import non_maximum_suppression, soft_nms
from ._proposals import cas_to_detections

__all__ = ["cas_to_detections", "non_maximum_suppression", "soft_nms"]
