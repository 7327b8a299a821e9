"""Loss terms shared by several methods: pure functions of tensors."""
import torch
import torch.nn.functional as F

_EPS = 1e-7


def video_targets(labels, background):
    """Video-level targets ``[y, background]`` divided by their sum (BaS-Net Eq. 6).

    Parameters
    ----------
    labels : torch.Tensor of shape (batch, C)
        0/1 video labels.
    background : float
        1 for the base branch (background is present), 0 for the suppression branch.

    Returns
    -------
    torch.Tensor of shape (batch, C + 1)
        Rows sum to 1; a row that would be all zero (no class, no background) stays zero.
    """
    bg = labels.new_full((labels.shape[0], 1), float(background))
    target = torch.cat([labels, bg], dim=1)
    return target / target.sum(dim=1, keepdim=True).clamp(min=1.0)


def video_bce_loss(probabilities, targets):
    """Binary cross-entropy averaged over classes and videos (``nn.BCELoss``).

    Parameters
    ----------
    probabilities : torch.Tensor of shape (batch, K)
        Video-level probabilities (softmax over C + 1 in BaS-Net).
    targets : torch.Tensor of shape (batch, K)

    Returns
    -------
    torch.Tensor, scalar
    """
    return F.binary_cross_entropy(probabilities.clamp(_EPS, 1 - _EPS), targets)


def video_ce_loss(probabilities, targets):
    """Cross-entropy with soft targets, summed over classes, averaged over videos.

    ``-mean_b sum_k targets[b, k] * log(probabilities[b, k])``: the video-level loss
    of BackTAL (paper Eq. 2; its code applies it to BaS-Net's two branches). Unlike
    :func:`video_bce_loss` it has no ``(1 - t) log(1 - p)`` terms and is not divided by
    the number of classes.

    Parameters
    ----------
    probabilities : torch.Tensor of shape (batch, K)
        Video-level probabilities (softmax over C + 1).
    targets : torch.Tensor of shape (batch, K)
        Rows summing to 1 (or all zero: such a video contributes 0).

    Returns
    -------
    torch.Tensor, scalar
    """
    log_p = torch.log(probabilities.clamp(min=_EPS))
    return -(targets * log_p).sum(dim=1).mean()


def foreground_norm_loss(weights, mask=None):
    """BaS-Net's ``L_norm``: L1 norm of the foreground weights over time, mean over videos.

    The official code computes ``mean(norm(w, p=1, dim=time))``; padded steps (``mask``
    false) do not count.

    Parameters
    ----------
    weights : torch.Tensor of shape (batch, T, 1) or (batch, T)
    mask : torch.Tensor of shape (batch, T), optional

    Returns
    -------
    torch.Tensor, scalar
    """
    w = weights.reshape(weights.shape[0], weights.shape[1]).abs()
    if mask is not None:
        w = w * mask.to(w.dtype)
    return w.sum(dim=1).mean()


def click_cross_entropy(cas, click_labels, ignore_index=-100):
    """Frame-level cross-entropy at clicked snippets (BackTAL Eq. 3).

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C + 1)
        Logits; softmax over classes.
    click_labels : torch.Tensor of shape (batch, T), long
        Class index (``C`` = background) at clicked snippets, ``ignore_index`` elsewhere.

    Returns
    -------
    torch.Tensor, scalar
        Mean over clicked snippets; 0 when there are none.
    """
    valid = click_labels != ignore_index
    if not bool(valid.any()):
        return cas.sum() * 0.0
    return F.cross_entropy(cas[valid], click_labels[valid])
