"""TEN's pure functions: chunk sampling, attention pooling, the background strategies
(BGES, GRL, BVL, with their autograd Functions) and the loss terms.

The network, the criterion and the estimator that plug them together live in
:mod:`sktal.localizers._ten`; ``docs/methods/ten.rst`` says which parts of the paper
are reconstructed.
"""
import math

import torch
import torch.nn.functional as F

from ..nn import masked_mean, video_targets

BACKGROUND_STRATEGIES = ("bges", "bges_exact", "bvl", "bvl+bges", "grl", "none")

_EPS = 1e-6


# --------------------------------------------------------------- chunk sampling
def chunk_sample_indices(length, interval, *, lengths=None, batch_size=None,
                         generator=None, device=None):
    """Indices of the temporal continuity branch's input (TEN, Sec. 3.1).

    The time axis is split into consecutive chunks of ``interval`` snippets; one
    snippet is drawn uniformly inside each chunk and repeated over the whole chunk, so
    the output has the input's length and each chunk reads one source snippet.

    Parameters
    ----------
    length : int
        Length ``T`` of the (padded) time axis.
    interval : int
        Chunk size (the paper's sampling interval, 4).
    lengths : torch.Tensor of shape (batch,), optional
        Valid length of each video of a padded batch: a video's last chunk draws only
        from its valid snippets, and chunks past its end read its last snippet
        (they are padding, masked by the losses).
    batch_size : int, optional
        Number of rows when ``lengths`` is not given (default 1).
    generator : torch.Generator, optional
        Source of randomness; the same seed gives the same indices.
    device : torch.device, optional

    Returns
    -------
    torch.Tensor of shape (batch, length), long

    Examples
    --------
    >>> import torch
    >>> from sktal.localizers._ten import chunk_sample_indices
    >>> g = torch.Generator().manual_seed(0)
    >>> idx = chunk_sample_indices(10, 4, generator=g)
    >>> idx.shape, bool((idx[0, :4] == idx[0, 0]).all()), bool(idx[0, 8] >= 8)
    (torch.Size([1, 10]), True, True)
    """
    if interval < 1:
        raise ValueError(f"interval must be >= 1, got {interval}")
    if device is None:
        device = generator.device if generator is not None else "cpu"
    if lengths is None:
        lengths = torch.full((batch_size or 1,), length, dtype=torch.long)
    lengths = lengths.to(device="cpu" if generator is None else generator.device,
                         dtype=torch.long).clamp(min=1)
    n_chunks = -(-length // interval)
    starts = torch.arange(n_chunks, device=lengths.device) * interval  # (n_chunks,)
    # snippets each chunk may draw from: interval, fewer in a video's last chunk
    sizes = (lengths.unsqueeze(1) - starts).clamp(min=1, max=interval)
    u = torch.rand(sizes.shape, generator=generator, device=lengths.device,
                   dtype=torch.float64)
    picks = starts + torch.minimum((u * sizes).long(), sizes - 1)
    # chunks wholly past a video's end: read its last valid snippet (masked later)
    picks = torch.minimum(picks, lengths.unsqueeze(1) - 1)
    indices = picks.repeat_interleave(interval, dim=1)[:, :length]
    return indices.to(device)


def chunk_sample(x, interval, *, mask=None, generator=None):
    """Temporal continuity branch input: ``x`` read at :func:`chunk_sample_indices`.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, T, D)
    interval : int
    mask : torch.Tensor of shape (batch, T), bool, optional
    generator : torch.Generator, optional

    Returns
    -------
    x_tcb : torch.Tensor of shape (batch, T, D)
    indices : torch.Tensor of shape (batch, T), long
    """
    batch, length, width = x.shape
    lengths = mask.sum(dim=1) if mask is not None else None
    # without a generator, the draw uses torch's global CPU generator (seeded by
    # ``fit``): the same numbers whatever the device
    indices = chunk_sample_indices(
        length, interval, lengths=lengths, batch_size=batch, generator=generator
    ).to(x.device)
    x_tcb = torch.gather(x, 1, indices.unsqueeze(-1).expand(batch, length, width))
    return x_tcb, indices


# ------------------------------------------------------------- pooling / BGES
class _GradientReversal(torch.autograd.Function):
    """Identity forward, negated gradient backward (Ganin & Lempitsky, 2015)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class _ExactBGESPooling(torch.autograd.Function):
    """Background pooling ``z = sum_t (1-A_t) s_t / sum_t (1-A_t)`` with BGES' backward.

    The forward pass is the ordinary one; the gradient to ``A_t`` is
    ``-g . s_t / sum(1-A)`` instead of ``-g . (s_t - z) / sum(1-A)`` (paper Eq. 12: the
    difference ``s_t - z`` becomes ``s_t``). The gradient to ``s_t`` is unchanged.
    """

    @staticmethod
    def forward(ctx, cas, attention, valid):
        weights = (1.0 - attention) * valid
        norm = weights.sum(dim=1).clamp(min=_EPS)  # (batch,)
        pooled = (weights.unsqueeze(-1) * cas).sum(dim=1) / norm.unsqueeze(-1)
        ctx.save_for_backward(cas, weights, valid, norm)
        return pooled

    @staticmethod
    def backward(ctx, grad):
        cas, weights, valid, norm = ctx.saved_tensors
        scale = (1.0 / norm).unsqueeze(-1)  # (batch, 1)
        grad_cas = None
        grad_attention = None
        if ctx.needs_input_grad[0]:
            grad_cas = (weights * scale).unsqueeze(-1) * grad.unsqueeze(1)
        if ctx.needs_input_grad[1]:
            grad_attention = -(cas * grad.unsqueeze(1)).sum(-1) * valid * scale
        return grad_cas, grad_attention, None


def attention_pool(cas, weights, mask=None, normalizer=None):
    """Weighted temporal mean ``sum_t w_t s_t / N`` of the snippet logits (Eq. 4).

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, K)
    weights : torch.Tensor of shape (batch, T)
        ``A`` for the foreground, ``1 - A`` for the background.
    mask : torch.Tensor of shape (batch, T), bool, optional
    normalizer : torch.Tensor of shape (batch,), optional
        ``N``; default ``sum_t w_t`` over valid snippets. BGES passes the length ``T``.

    Returns
    -------
    torch.Tensor of shape (batch, K)
    """
    if mask is not None:
        weights = weights * mask.to(weights.dtype)
    if normalizer is None:
        normalizer = weights.sum(dim=1)
    pooled = (weights.unsqueeze(-1) * cas).sum(dim=1)
    return pooled / normalizer.clamp(min=_EPS).unsqueeze(-1)


def background_pool(cas, attention, mask=None, strategy="bges"):
    """Pooled background scores ``z`` under a background strategy.

    With ``g = dL/dz`` and ``s_t`` the snippet scores (logits or probabilities):

    * ``'none'``, ``'bvl'``: ``z = sum (1-A_t) s_t / sum (1-A_t)`` (Eq. 4), so
      ``dL/dA_t = -g . (s_t - z) / sum (1-A)``.
    * ``'bges'``, ``'bvl+bges'``: normaliser ``T`` (number of valid snippets) instead
      of ``sum (1-A_t)`` (Eq. 13), so ``dL/dA_t = -g . s_t / T``.
    * ``'bges_exact'``: the ``'none'`` forward with ``dL/dA_t = -g . s_t / sum(1-A)``.
    * ``'grl'``: the ``'none'`` forward; the gradient to ``A`` is reversed.

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C + 1)
        Snippet scores ``s_t`` (:func:`snippet_scores`).
    attention : torch.Tensor of shape (batch, T)
        ``A`` in (0, 1).
    mask : torch.Tensor of shape (batch, T), bool, optional
    strategy : str, default='bges'

    Returns
    -------
    torch.Tensor of shape (batch, C + 1)
    """
    if strategy not in BACKGROUND_STRATEGIES:
        raise ValueError(
            f"unknown background_strategy {strategy!r}; expected one of "
            f"{BACKGROUND_STRATEGIES}"
        )
    if strategy == "bges_exact":
        valid = (
            torch.ones_like(attention) if mask is None else mask.to(attention.dtype)
        )
        return _ExactBGESPooling.apply(cas, attention, valid)
    if strategy == "grl":
        attention = _GradientReversal.apply(attention)
    normalizer = None
    if strategy in ("bges", "bvl+bges"):
        if mask is None:
            normalizer = attention.new_full((attention.shape[0],), attention.shape[1])
        else:
            normalizer = mask.sum(dim=1).to(attention.dtype)
    return attention_pool(cas, 1.0 - attention, mask, normalizer)


# ----------------------------------------------------------------- loss terms
SCORE_POOLINGS = ("logits", "probabilities")


def snippet_scores(cas, score_pooling="probabilities"):
    """The per-snippet scores ``s_t`` that Eq. 4 pools: the softmax of the logits over
    the ``C + 1`` classes (``'probabilities'``) or the logits themselves."""
    return cas if score_pooling == "logits" else torch.softmax(cas, dim=-1)


def video_log_probabilities(pooled, score_pooling="probabilities"):
    """Log video probabilities from pooled scores: ``log_softmax`` of pooled logits, or
    the log of pooled probabilities."""
    if score_pooling == "logits":
        return F.log_softmax(pooled, dim=-1)
    return torch.log(pooled.clamp(min=_EPS))


def foreground_loss(log_probabilities, labels):
    """``L_fg = -sum_c y_c log p_fg,c`` with target ``[y, 0]`` normalised (Eq. 5).

    Parameters
    ----------
    log_probabilities : torch.Tensor of shape (batch, C + 1)
        ``log p_fg`` of the foreground-pooled video (:func:`video_log_probabilities`).
    labels : torch.Tensor of shape (batch, C)

    Returns
    -------
    torch.Tensor, scalar
        Mean over videos; a video without any label contributes 0.
    """
    target = video_targets(labels.to(log_probabilities.dtype), 0)
    return -(target * log_probabilities).sum(dim=-1).mean()


def background_loss(log_probabilities):
    """``L_bg = -log p_bg,C``: the background-pooled video is background (Eq. 5).

    Parameters
    ----------
    log_probabilities : torch.Tensor of shape (batch, C + 1)
        ``log p_bg`` of the background-pooled video.

    Returns
    -------
    torch.Tensor, scalar
        Mean over videos.
    """
    return -log_probabilities[:, -1].mean()


def snippet_background_loss(cas, mask=None):
    """BVL (Eq. 10): every snippet's CAS classified as background.

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C + 1)
    mask : torch.Tensor of shape (batch, T), bool, optional

    Returns
    -------
    torch.Tensor, scalar
        Cross-entropy with label ``C``, mean over valid snippets, then videos.
    """
    per_snippet = -F.log_softmax(cas, dim=-1)[..., -1]
    return masked_mean(per_snippet, mask).mean()


def gaussian_smooth(values, sigma, mask=None):
    """Gaussian smoothing along time, ``G`` of Eq. 6.

    A normalised kernel of standard deviation ``sigma`` truncated at
    ``ceil(3 sigma)``; at the ends of a video (and next to padding) the weights are
    renormalised over the valid neighbours. ``sigma = 0`` returns ``values``.

    Parameters
    ----------
    values : torch.Tensor of shape (batch, T)
    sigma : float
    mask : torch.Tensor of shape (batch, T), bool, optional

    Returns
    -------
    torch.Tensor of shape (batch, T)
    """
    if sigma <= 0:
        return values
    radius = int(math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=values.dtype, device=values.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2).view(1, 1, -1)
    valid = (
        torch.ones_like(values) if mask is None else mask.to(values.dtype)
    ).unsqueeze(1)
    num = F.conv1d((values.unsqueeze(1) * valid), kernel, padding=radius)
    den = F.conv1d(valid, kernel, padding=radius)
    return (num / den.clamp(min=_EPS)).squeeze(1)


def attention_consistency_loss(attention, attention_tcb, sigma=1.0, mask=None):
    """``L_att = mean_t |G(A)_t - G(A')_t|`` between the two branches (Eq. 6).

    Parameters
    ----------
    attention, attention_tcb : torch.Tensor of shape (batch, T)
    sigma : float, default=1.0
        Standard deviation of ``G`` in snippets.
    mask : torch.Tensor of shape (batch, T), bool, optional

    Returns
    -------
    torch.Tensor, scalar
        Mean over valid snippets, then videos.
    """
    diff = (
        gaussian_smooth(attention, sigma, mask) - gaussian_smooth(attention_tcb, sigma, mask)
    ).abs()
    return masked_mean(diff, mask).mean()


def snippet_kl_loss(cas, cas_tcb, mask=None):
    """``L_kl = KL(softmax(S_t) || softmax(S'_t))`` per snippet (Eq. 7).

    Both branches receive gradients (mutual learning).

    Parameters
    ----------
    cas, cas_tcb : torch.Tensor of shape (batch, T, C + 1)
        Logits of the base and the temporal continuity branch.
    mask : torch.Tensor of shape (batch, T), bool, optional

    Returns
    -------
    torch.Tensor, scalar
        Sum over classes, mean over valid snippets, then videos.
    """
    log_p = F.log_softmax(cas, dim=-1)
    log_q = F.log_softmax(cas_tcb, dim=-1)
    per_snippet = (log_p.exp() * (log_p - log_q)).sum(dim=-1)
    return masked_mean(per_snippet, mask).mean()
