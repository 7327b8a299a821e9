"""Constants shared across sktal (no torch import)."""

#: Label of a background click (``clicks[i][:, 1] == BACKGROUND``).
BACKGROUND = -1

#: Per-step click target of a step that no click labels (``torch``'s default
#: ``ignore_index`` of :func:`torch.nn.functional.cross_entropy`).
IGNORE_INDEX = -100

#: The one small constant that keeps logarithms and divisions finite.
EPS = 1e-7
