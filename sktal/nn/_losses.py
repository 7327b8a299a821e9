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


#: values outside [-1, 1] used to mask cosine similarities before hard mining
_ABOVE, _BELOW = 2.0, -2.0


def _labelled_steps(embedding, action, background):
    """The steps of each video that are action or background, first and in order,
    padded to the batch's largest count ``K`` with unlabelled steps.

    Only labelled steps are rows or columns of :func:`embedding_separation_loss`, so
    its ``(batch, K, K)`` similarities give the terms of the full ``(batch, T, T)``
    ones, without the cost quadratic in the video length (a native-length THUMOS14
    video has thousands of steps, a few hundred labelled). Unchanged when every step
    is labelled or none is.
    """
    labelled = (action > 0) | background
    k = int(labelled.sum(dim=1).max()) if labelled.numel() else 0
    if k == 0 or k == labelled.shape[1]:
        return embedding, action, background
    order = torch.argsort((~labelled).to(torch.int8), dim=1, stable=True)[:, :k]
    embedding = embedding.gather(1, order.unsqueeze(-1).expand(-1, -1, embedding.shape[2]))
    return embedding, action.gather(1, order), background.gather(1, order)


def embedding_separation_loss(embedding, action, background, same=0.5, diff=0.1, *,
                              symmetric=False, average="per_term"):
    """Hard-mined hinge loss on cosine similarities of action and background snippets.

    With ``A`` the action snippets (``action > 0``), ``B`` the background snippets and
    ``s`` the cosine similarity of their embeddings, the terms of a video are::

          mean_{a in A} relu(same - min_{a' in A} s(a, a'))
        + mean_{b in B} relu(same - min_{b' in B} s(b, b'))
        + mean_{a in A} relu(max_{b in B} s(a, b) - diff)
        [+ mean_{b in B} relu(max_{a in A} s(a, b) - diff)]   # symmetric=True

    Each snippet is mined against its hardest partner (least similar of its own kind,
    most similar of the other kind). The means over ``A`` are weighted by ``action``
    (a float multiplicity, or 1 for a boolean mask). A term is empty for a video when
    its rows or its columns are empty.

    This is BackTAL's affinity loss (official code: ``symmetric=True``,
    ``average='per_video'``, τ_same / τ_diff) and FS-PTAL's feature separation loss
    ``L_fs`` (``symmetric=False``, ``average='per_term'``, ψ_same / ψ_diff).

    Parameters
    ----------
    embedding : torch.Tensor of shape (batch, T, E)
        L2-normalised snippet embeddings.
    action : torch.Tensor of shape (batch, T), bool or float
        Action snippets, or non-negative weights that are 0 outside ``A``.
    background : torch.Tensor of shape (batch, T), bool
    same, diff : float, default=0.5, 0.1
        Margins: a pair of the same kind should be at least ``same`` similar, a mixed
        pair at most ``diff``.
    symmetric : bool, default=False
        Add the fourth term, the mixed term seen from the background snippets.
    average : {'per_term', 'per_video'}, default='per_term'
        ``'per_term'``: each term is averaged over the videos where it is not empty,
        then the terms are summed. ``'per_video'``: the terms of a video are summed
        (an empty term counts 0), then averaged over the videos with at least one
        background snippet; the others are skipped.

    Returns
    -------
    torch.Tensor, scalar
        0 (still differentiable) when no video qualifies.
    """
    if average not in ("per_term", "per_video"):
        raise ValueError(f"average must be 'per_term' or 'per_video', got {average!r}")
    embedding, action, background = _labelled_steps(embedding, action, background)
    sim = embedding @ embedding.transpose(1, 2)  # (batch, K, K) cosine of unit vectors
    act = action > 0
    act_weights = action.to(sim.dtype)
    bg_weights = background.to(sim.dtype)
    has_act, has_bg = act.any(dim=1, keepdim=True), background.any(dim=1, keepdim=True)

    def hardest(cols, fill, reduce):  # per row: its hardest partner among ``cols``
        return reduce(sim.masked_fill(~cols.unsqueeze(1), fill), dim=2)

    # (values, row weights): a row counts only when its columns are not empty
    terms = [
        (F.relu(same - hardest(act, _ABOVE, torch.amin)), act_weights),
        (F.relu(same - hardest(background, _ABOVE, torch.amin)), bg_weights),
        (F.relu(hardest(background, _BELOW, torch.amax) - diff), act_weights * has_bg),
    ]
    if symmetric:
        terms.append((F.relu(hardest(act, _BELOW, torch.amax) - diff), bg_weights * has_act))
    means = [(values * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-12)
             for values, weights in terms]
    if average == "per_video":
        valid = has_bg[:, 0].to(sim.dtype)
        return (sum(means) * valid).sum() / valid.sum().clamp(min=1)
    total = sim.sum() * 0.0
    for mean, (_, weights) in zip(means, terms):
        has = weights.sum(dim=1) > 0
        if bool(has.any()):
            total = total + mean[has].mean()
    return total
