"""Temporal pooling shared by all methods."""
import torch


def topk_sizes(lengths, ratio):
    """Number of snippets ``k_i = max(1, T_i // ratio)`` pooled for each video.

    Parameters
    ----------
    lengths : torch.Tensor of shape (batch,)
        Valid length of each video.
    ratio : int
        The paper's ``r`` (8 in every method): one snippet in ``r`` is pooled.

    Returns
    -------
    torch.Tensor of shape (batch,), long
    """
    return torch.clamp(torch.div(lengths, ratio, rounding_mode="floor"), min=1).long()


def topk_mean(scores, ratio=8, mask=None):
    """Mean of the ``k = max(1, T // ratio)`` largest scores along time.

    This is the video-level aggregation of BaS-Net, BackTAL and FS-PTAL. With a
    ``mask`` (padded batches), ``k`` is computed per video from its valid length and
    padded steps never enter the mean.

    Parameters
    ----------
    scores : torch.Tensor of shape (batch, T, n_channels)
    ratio : int, default=8
    mask : torch.Tensor of shape (batch, T), bool, optional
        ``True`` on valid snippets.

    Returns
    -------
    torch.Tensor of shape (batch, n_channels)

    Examples
    --------
    >>> import torch
    >>> from sktal.nn import topk_mean
    >>> scores = torch.tensor([[[1.0], [4.0], [2.0], [3.0]]])
    >>> topk_mean(scores, ratio=2)   # k = 2: mean of 4 and 3
    tensor([[3.5000]])
    """
    batch, length, _ = scores.shape
    if mask is None:
        k = max(1, length // ratio)
        return torch.topk(scores, k, dim=1).values.mean(dim=1)
    lengths = mask.sum(dim=1)
    k = topk_sizes(lengths, ratio)
    filled = scores.masked_fill(~mask.unsqueeze(-1), float("-inf"))
    kmax = int(k.max())
    top = torch.topk(filled, kmax, dim=1).values  # (batch, kmax, C)
    keep = torch.arange(kmax, device=scores.device).unsqueeze(0) < k.unsqueeze(1)
    top = torch.where(keep.unsqueeze(-1), top, torch.zeros_like(top))
    return top.sum(dim=1) / k.unsqueeze(1).to(scores.dtype)


def masked_mean(values, mask=None, dim=1):
    """Mean over ``dim`` counting only valid (``mask``) steps."""
    if mask is None:
        return values.mean(dim=dim)
    weights = mask.to(values.dtype)
    while weights.dim() < values.dim():
        weights = weights.unsqueeze(-1)
    return (values * weights).sum(dim=dim) / weights.sum(dim=dim).clamp(min=1.0)


def minmax_normalize(scores, clip=True):
    """Min-max normalise each channel of ``scores`` over time, extremes clipped at 0.

    ``(s - relu(min_t s)) / (relu(max_t s) - relu(min_t s))``, a non-positive range
    becoming 1: the ``minmax_norm`` the BaS-Net and BackTAL code apply to the raw CAS
    logits before thresholding (:func:`sktal.postprocessing.cas_to_detections` with
    ``normalize=True`` does the same in numpy). With ``clip`` the result is clipped to
    [0, 1] (the reference keeps the negative values of a CAS whose minimum is
    negative; they only shift where the up-sampled CAS crosses 0).

    Parameters
    ----------
    scores : torch.Tensor of shape (batch, T, n_channels)
        Unpadded sequences (every step counts).
    clip : bool, default=True

    Returns
    -------
    torch.Tensor of shape (batch, T, n_channels)

    Examples
    --------
    >>> import torch
    >>> from sktal.nn import minmax_normalize
    >>> minmax_normalize(torch.tensor([[[-1.0], [1.0], [3.0]]]))[0, :, 0]
    tensor([0.0000, 0.3333, 1.0000])
    """
    high = scores.amax(dim=1, keepdim=True).clamp(min=0)
    low = scores.amin(dim=1, keepdim=True).clamp(min=0)
    spread = high - low
    spread = torch.where(spread <= 0, torch.ones_like(spread), spread)
    out = (scores - low) / spread
    return out.clamp(0, 1) if clip else out
