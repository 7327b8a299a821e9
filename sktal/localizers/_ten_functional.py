"""TEN's pure functions: chunk sampling, attention pooling, the background strategies
(BGES, GRL, BVL, with their autograd Functions) and the loss terms.

The network, the criterion and the estimator that plug them together live in
:mod:`sktal.localizers._ten`; ``docs/methods/ten.rst`` says which parts of the paper
are reconstructed.
"""
import math

import torch
import torch.nn.functional as F

from .._constants import EPS
from ..nn import masked_mean, video_targets

#: values of ``background_strategy`` (Sec. 3.2, Tables 3-4)
BACKGROUND_STRATEGIES = (
    "bges", "bges_exact", "bges_shrink", "bvl", "bvl+bges", "grl", "none"
)
#: strategies that pool the background with the normaliser ``T`` (Eq. 13)
LENGTH_NORMALISED_BACKGROUND = ("bges", "bges_shrink", "bvl+bges")
#: strategies under which the paper's BGES acts (``foreground_normalizer='auto'``
#: normalises the foreground pooling by ``T`` under them, Eq. 13 sentence)
BGES_STRATEGIES = ("bges", "bges_exact", "bvl+bges")
#: values of ``score_pooling``: what Eq. 4 pools over time
SCORE_POOLINGS = ("logits", "probabilities")
#: values of ``foreground_normalizer``: ``N_fg`` of Eq. 4
FOREGROUND_NORMALIZERS = ("auto", "attention", "length")


# --------------------------------------------------------------- chunk sampling
def chunk_sample_indices(length, *, interval, lengths=None, batch_size=None,
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
    >>> from sktal.localizers._ten_functional import chunk_sample_indices
    >>> g = torch.Generator().manual_seed(0)
    >>> idx = chunk_sample_indices(10, interval=4, generator=g)
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


def chunk_sample(x, *, interval, mask=None, generator=None):
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
        length, interval=interval, lengths=lengths, batch_size=batch, generator=generator
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
        norm = weights.sum(dim=1).clamp(min=EPS)  # (batch,)
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


def attention_pool(cas, weights, mask=None, *, normalizer):
    """Weighted temporal sum ``sum_t w_t s_t / N`` of the snippet scores (Eq. 4).

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, K)
    weights : torch.Tensor of shape (batch, T)
        ``A`` for the foreground, ``1 - A`` for the background.
    mask : torch.Tensor of shape (batch, T), bool, optional
    normalizer : torch.Tensor of shape (batch,) or None
        ``N``; ``None`` is ``sum_t w_t`` over valid snippets (the weighted mean).

    Returns
    -------
    torch.Tensor of shape (batch, K)

    Examples
    --------
    >>> import torch
    >>> cas = torch.tensor([[[1.0], [3.0]]])
    >>> attention_pool(cas, torch.tensor([[1.0, 0.0]]), normalizer=None)
    tensor([[1.]])
    >>> attention_pool(cas, torch.tensor([[1.0, 0.0]]), normalizer=torch.tensor([2.0]))
    tensor([[0.5000]])
    """
    if mask is not None:
        weights = weights * mask.to(weights.dtype)
    if normalizer is None:
        normalizer = weights.sum(dim=1)
    pooled = (weights.unsqueeze(-1) * cas).sum(dim=1)
    return pooled / normalizer.clamp(min=EPS).unsqueeze(-1)


def valid_lengths(attention, mask=None):
    """Number of valid snippets ``T`` of each video, as ``attention``'s dtype."""
    if mask is None:
        return attention.new_full((attention.shape[0],), attention.shape[1])
    return mask.sum(dim=1).to(attention.dtype)


def resolved_foreground_normalizer(*, foreground_normalizer, background_strategy):
    """``'attention'`` or ``'length'``: what ``'auto'`` means for a strategy.

    ``'auto'`` follows the Eq. 13 sentence: under BGES (``'bges'``,
    ``'bges_exact'``, ``'bvl+bges'``) "the normalized factor [of the foreground] is
    also set as T"; otherwise Eq. 4's ``sum_t A_t``. ``'bges_shrink'`` (the team's
    first reconstruction) keeps ``sum_t A_t``.

    Examples
    --------
    >>> resolved_foreground_normalizer(foreground_normalizer="auto",
    ...                                background_strategy="bges")
    'length'
    >>> resolved_foreground_normalizer(foreground_normalizer="auto",
    ...                                background_strategy="none")
    'attention'
    """
    if foreground_normalizer not in FOREGROUND_NORMALIZERS:
        raise ValueError(
            f"unknown foreground_normalizer {foreground_normalizer!r}; expected one of "
            f"{FOREGROUND_NORMALIZERS}"
        )
    if foreground_normalizer != "auto":
        return foreground_normalizer
    return "length" if background_strategy in BGES_STRATEGIES else "attention"


def foreground_pool(cas, attention, mask=None, *, foreground_normalizer,
                    background_strategy):
    """Pooled foreground scores ``sum_t A_t s_t / N_fg`` (Eq. 4).

    ``N_fg = sum_t A_t`` (``'attention'``: invariant to a uniform scaling of ``A``,
    so ``L_fg`` cannot resist BGES' uniform push) or ``T`` (``'length'``: a uniform
    shrink of ``A`` shrinks the pooled scores, and ``L_fg`` pushes back).

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C + 1)
        Snippet scores ``s_t`` (:func:`snippet_scores`).
    attention : torch.Tensor of shape (batch, T)
    mask : torch.Tensor of shape (batch, T), bool, optional
    foreground_normalizer : {'auto', 'attention', 'length'}
    background_strategy : str
        Resolves ``'auto'`` (:func:`resolved_foreground_normalizer`).

    Returns
    -------
    torch.Tensor of shape (batch, C + 1)
    """
    kind = resolved_foreground_normalizer(
        foreground_normalizer=foreground_normalizer,
        background_strategy=background_strategy,
    )
    normalizer = valid_lengths(attention, mask) if kind == "length" else None
    return attention_pool(cas, attention, mask, normalizer=normalizer)


def background_pool(cas, attention, mask=None, *, background_strategy):
    """Pooled background scores ``z`` under a background strategy (Sec. 3.2).

    With ``g = dL_bg/dz`` and ``s_t`` the snippet scores (logits or probabilities):

    * ``'none'``, ``'bvl'``: ``z = sum (1-A_t) s_t / sum (1-A_t)`` (Eq. 4), so
      ``dL/dA_t = -g . (s_t - z) / sum (1-A)`` (Eq. 11: the sign follows the
      difference of the snippet's and the video's score).
    * ``'bges'``, ``'bvl+bges'``, ``'bges_shrink'``: normaliser ``T`` (number of
      valid snippets) instead of ``sum (1-A_t)`` (Eq. 13), so
      ``dL/dA_t = -g . s_t / T``: the paper's approximation of Eq. 12.
    * ``'bges_exact'``: the ``'none'`` forward with ``dL/dA_t = -g . s_t / sum(1-A)``
      (Eq. 12: ``s_t - z`` becomes ``s_t``, one extra ``g . z / N`` on every snippet).
    * ``'grl'``: the ``'none'`` forward; the gradient to ``A`` is reversed.

    The strategies differ from each other in the foreground pooling too
    (:func:`foreground_pool`); ``'bges_shrink'`` pools like ``'bges'`` here.

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C + 1)
        Snippet scores ``s_t`` (:func:`snippet_scores`).
    attention : torch.Tensor of shape (batch, T)
        ``A`` in (0, 1).
    mask : torch.Tensor of shape (batch, T), bool, optional
    background_strategy : str
        One of :data:`BACKGROUND_STRATEGIES`.

    Returns
    -------
    torch.Tensor of shape (batch, C + 1)
    """
    if background_strategy not in BACKGROUND_STRATEGIES:
        raise ValueError(
            f"unknown background_strategy {background_strategy!r}; expected one of "
            f"{BACKGROUND_STRATEGIES}"
        )
    if background_strategy == "bges_exact":
        valid = (
            torch.ones_like(attention) if mask is None else mask.to(attention.dtype)
        )
        return _ExactBGESPooling.apply(cas, attention, valid)
    if background_strategy == "grl":
        attention = _GradientReversal.apply(attention)
    normalizer = None
    if background_strategy in LENGTH_NORMALISED_BACKGROUND:
        normalizer = valid_lengths(attention, mask)
    return attention_pool(cas, 1.0 - attention, mask, normalizer=normalizer)


# ----------------------------------------------------------------- loss terms
def snippet_scores(cas, *, score_pooling):
    """The per-snippet scores ``s_t`` that Eq. 4 pools: the logits themselves
    (``'logits'``) or their softmax over the ``C + 1`` classes (``'probabilities'``)."""
    return cas if score_pooling == "logits" else torch.softmax(cas, dim=-1)


def video_log_probabilities(pooled, *, score_pooling):
    """Log video probabilities from pooled scores: ``log_softmax`` of pooled logits
    (Eq. 4, the softmax after the pooling), or the log of pooled probabilities."""
    if score_pooling == "logits":
        return F.log_softmax(pooled, dim=-1)
    return torch.log(pooled.clamp(min=EPS))

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


def gaussian_smooth(values, mask=None, *, smoothing_sigma):
    """Gaussian smoothing along time, ``G`` of Eq. 6.

    A normalised kernel of standard deviation ``smoothing_sigma`` truncated at
    ``ceil(3 sigma)``; at the ends of a video (and next to padding) the weights are
    renormalised over the valid neighbours. ``smoothing_sigma = 0`` returns ``values``.

    Parameters
    ----------
    values : torch.Tensor of shape (batch, T)
    mask : torch.Tensor of shape (batch, T), bool, optional
    smoothing_sigma : float

    Returns
    -------
    torch.Tensor of shape (batch, T)
    """
    sigma = smoothing_sigma
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
    return (num / den.clamp(min=EPS)).squeeze(1)


def attention_consistency_loss(attention, attention_tcb, mask=None, *, smoothing_sigma):
    """``L_att = mean_t |G(A)_t - G(A')_t|`` between the two branches (Eq. 6).

    Parameters
    ----------
    attention, attention_tcb : torch.Tensor of shape (batch, T)
    mask : torch.Tensor of shape (batch, T), bool, optional
    smoothing_sigma : float
        Standard deviation of ``G`` in snippets.

    Returns
    -------
    torch.Tensor, scalar
        Mean over valid snippets, then videos.
    """
    diff = (
        gaussian_smooth(attention, mask, smoothing_sigma=smoothing_sigma)
        - gaussian_smooth(attention_tcb, mask, smoothing_sigma=smoothing_sigma)
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
