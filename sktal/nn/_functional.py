"""Small tensor idioms every method's losses use, written once."""
import torch

from .._constants import EPS, IGNORE_INDEX

__all__ = ["EPS", "IGNORE_INDEX", "valid_mask_or_none", "zero_loss", "mean_over"]


def valid_mask_or_none(mask):
    """``None`` when every step is valid, so pooling can take its fast path.

    Parameters
    ----------
    mask : torch.Tensor of shape (batch, T), bool, or None

    Returns
    -------
    torch.Tensor or None
    """
    return None if mask is None or bool(mask.all()) else mask


def zero_loss(like):
    """A scalar 0 that stays in the autograd graph of ``like``.

    Parameters
    ----------
    like : torch.Tensor
        Any tensor of the graph (its values do not matter).

    Returns
    -------
    torch.Tensor, scalar
    """
    return like.sum() * 0.0


def mean_over(values, qualifying):
    """Mean of per-video ``values`` over the videos that ``qualifying`` selects.

    Parameters
    ----------
    values : torch.Tensor of shape (batch,)
    qualifying : torch.Tensor of shape (batch,), bool

    Returns
    -------
    torch.Tensor, scalar
        0 (still differentiable) when no video qualifies.
    """
    weights = qualifying.to(values.dtype)
    return (values * weights).sum() / weights.sum().clamp(min=1.0)
