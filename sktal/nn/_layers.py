"""Network pieces shared by the methods (all tensors are ``(batch, T, channels)``)."""
import torch
import torch.nn.functional as F
from torch import nn


def _channels_first(x):
    """``x`` (batch, T, C) as the contiguous (batch, C, T) tensor a convolution
    reads. The convolution would copy the transposed view itself, in forward and
    again in backward (it keeps the view for its weight gradient); handed the copy,
    it keeps that and copies nothing (the same values: bit-identical results). No
    copy when ``x`` already is a transposed contiguous tensor."""
    return x.transpose(1, 2).contiguous()


def _dense(t):
    """Whether ``t``'s elements fill its memory one each (some order of its
    dimensions is contiguous): no stride-0 or overlapping elements."""
    dims = sorted((st, n) for st, n in zip(t.stride(), t.shape) if n != 1)
    expected = 1
    for stride, size in dims:
        if stride != expected:
            return False
        expected *= size
    return True


def _owned(grad):
    """Whether a backward may overwrite ``grad`` in place: not a view (of a tensor
    another node may still read) and dense (:func:`_dense`)."""
    return grad._base is None and _dense(grad)


class _LeakyReLUInPlace(torch.autograd.Function):
    """``F.leaky_relu_`` whose backward also works in place: the incoming gradient
    (a convolution's fresh input gradient, or :class:`_DropoutCPU`'s) is overwritten
    by ``leaky_relu_backward``'s result, the same kernel autograd runs for
    ``F.leaky_relu(t, inplace=True)``, so the values are identical and each layer's
    backward allocates one activation-sized tensor less."""

    @staticmethod
    def forward(ctx, t, slope):
        F.leaky_relu_(t, slope)
        ctx.mark_dirty(t)
        ctx.save_for_backward(t)
        ctx.slope = slope
        return t

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        if _owned(grad):
            return torch.ops.aten.leaky_relu_backward.grad_input(
                grad, result, ctx.slope, True, grad_input=grad), None
        return torch.ops.aten.leaky_relu_backward(grad, result, ctx.slope, True), None


#: ``F.leaky_relu``'s default negative slope
_SLOPE = 0.01


def _leaky_relu(t):
    """``F.leaky_relu(t)``, in place when ``t`` is a fresh result (not a view, not a
    leaf): a layer output that only feeds it, whose producer (a convolution, a
    concatenation, a sum) does not keep it for its backward. The same values and
    gradients (the in-place form's backward reads the sign of its output, the same
    as its input's for a positive slope) without one more activation-sized tensor
    per layer (at the papers' size 16 x 750 x 2048 floats, 98 MB, for each
    branch). Were the producer to keep it, autograd would raise, not mis-compute.
    Under autograd the backward works in place too (:class:`_LeakyReLUInPlace`):
    every use here feeds a layer whose backward hands it a fresh gradient."""
    fresh = not t._is_view() and not (t.is_leaf and t.requires_grad)
    if fresh and t.requires_grad and torch.is_grad_enabled():
        return _LeakyReLUInPlace.apply(t, _SLOPE)
    return F.leaky_relu(t, _SLOPE, inplace=fresh)


class _ReLUInPlace(torch.autograd.Function):
    """``torch.relu_`` whose backward works in place: the incoming gradient is
    overwritten by ``threshold_backward(grad, result, 0)``, the kernel autograd runs
    for ``F.relu`` (which also keeps its result), so the values are identical and the
    layer allocates one activation-sized tensor less in forward and one in backward."""

    @staticmethod
    def forward(ctx, t):
        torch.relu_(t)
        ctx.mark_dirty(t)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        if _owned(grad):
            return torch.ops.aten.threshold_backward.grad_input(grad, result, 0,
                                                                grad_input=grad)
        return torch.ops.aten.threshold_backward(grad, result, 0)


def _relu(t):
    """``F.relu(t)``, in place (forward and backward, :class:`_ReLUInPlace`) when
    ``t`` is a fresh result, as :func:`_leaky_relu` decides: the same values and
    gradients without two activation-sized tensors (at the papers' size 98 MB each)."""
    fresh = not t._is_view() and not (t.is_leaf and t.requires_grad)
    if fresh and t.requires_grad and torch.is_grad_enabled():
        return _ReLUInPlace.apply(t)
    return torch.relu_(t) if fresh else F.relu(t)


class _DropoutCPU(torch.autograd.Function):
    """Dropout as ``torch.dropout`` computes it on the CPU (``noise =
    empty_like(x).bernoulli_(1 - p).div_(1 - p)``, ``x * noise``: the same random
    draws and values), with the backward's ``grad * noise`` written into the
    incoming gradient (a convolution's fresh input gradient) instead of a new
    tensor."""

    @staticmethod
    def forward(ctx, x, p, transposed=False):
        # transposed: the draws of x.transpose(1, 2) (see Dropout.channels_first)
        noise = torch.empty_like(x.transpose(1, 2) if transposed else x).bernoulli_(1 - p)
        noise.div_(1 - p)
        if transposed:
            noise = noise.transpose(1, 2)
        ctx.save_for_backward(noise)
        return x * noise

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (noise,) = ctx.saved_tensors
        return (grad.mul_(noise) if _owned(grad) else grad * noise), None, None


class _OneOutputConv(torch.autograd.Function):
    """A ``1x1`` convolution to one output channel (a score per step) whose backward
    computes its gradients as what they are: ``grad[b, 0, t] * weight[0, c]`` for
    the input (one product per element, the convolution's own values) and one
    batched matrix product ``sum_{b,t} grad[b, 0, t] h[b, c, t]`` for the weight.
    On the CPU oneDNN's backward of this shape reorders ``h`` into scratch buffers
    (at 16 x 512 x 128 floats, a fresh 4 MB each, page-faulted in every step) and
    costs several times the forward; this backward allocates only the input
    gradient. The forward is the convolution (predictions unchanged); the weight
    and bias gradients differ from oneDNN's by the rounding of another summation
    order."""

    @staticmethod
    def forward(ctx, h, weight, bias):
        ctx.save_for_backward(h, weight)
        ctx.has_bias = bias is not None
        return F.conv1d(h, weight, bias)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        h, weight = ctx.saved_tensors
        grad = grad.to(h.dtype)   # under autocast the output may be of a lower precision
        grad_h = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_h = grad * weight.to(h.dtype).view(1, -1, 1)
        if ctx.needs_input_grad[1]:
            grad_w = torch.bmm(grad, h.transpose(1, 2)).sum(0).unsqueeze(-1).to(weight.dtype)
        if ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, 2)).to(weight.dtype)
        return grad_h, grad_w, grad_b


def one_output_conv(conv, h):
    """``conv(h)`` for a ``1x1`` :class:`torch.nn.Conv1d` ``conv`` with one output
    channel (a foreground weight or attention per step), through
    :class:`_OneOutputConv` on the CPU under autograd (same values, gradients up to
    rounding, BaS-Net's costliest backward at the small size made cheap);
    ``conv(h)`` otherwise."""
    if (h.device.type == "cpu" and torch.is_grad_enabled() and conv.out_channels == 1
            and conv.kernel_size == (1,) and conv.padding == (0,) and conv.groups == 1
            and conv.stride == (1,) and conv.dilation == (1,)
            and (h.requires_grad or conv.weight.requires_grad)):
        return _OneOutputConv.apply(h, conv.weight, conv.bias)
    return conv(h)


def pointwise_conv(conv, h):
    """``conv(h)`` for a ``1x1`` :class:`torch.nn.Conv1d` ``conv``, ``h`` (batch, in,
    T) -> (batch, out, T), on the CPU as a matrix product.

    On the CPU a ``1x1`` convolution of a batch of 16 or more (or on more than one
    thread) goes to oneDNN, which reorders ``h`` and its gradient into its blocked
    layout in forward and backward: at the papers' size (16 x 2048 x 750 floats
    into LACP's 21 outputs, one thread, shared 2-core CPU) profiled at 0.18 s
    forward and 0.25 s backward, against 0.03 s and 0.14 s (most of it writing the
    input gradient) for the products. Computed here as ``torch.bmm`` (``F.linear``
    when ``h`` is the transpose of a time-last tensor), the same sums up to the
    rounding of another summation order. One output channel goes to
    :func:`one_output_conv`; other convolutions and devices to ``conv(h)``.
    """
    if (h.device.type != "cpu" or conv.kernel_size != (1,) or conv.padding != (0,)
            or conv.groups != 1 or conv.stride != (1,) or conv.dilation != (1,)
            or h.dim() != 3):
        return conv(h)
    if conv.out_channels == 1:
        return one_output_conv(conv, h)
    weight = conv.weight[:, :, 0]
    if h.transpose(1, 2).is_contiguous():    # time-last memory: one product
        return F.linear(h.transpose(1, 2), weight, conv.bias).transpose(1, 2)
    out = torch.bmm(weight.expand(h.shape[0], *weight.shape), h)
    return out if conv.bias is None else out + conv.bias[:, None]


class Dropout(nn.Dropout):
    """``torch.nn.Dropout`` with the same draws and values, whose backward on the
    CPU reuses the incoming gradient's memory (:class:`_DropoutCPU`; at the
    papers' size one 98 MB tensor less per step and layer). Elsewhere (CUDA's
    fused kernel draws differently), in eval mode, for ``p`` 0 or 1, in place or
    without autograd it is ``nn.Dropout``."""

    def _in_place_backward(self, x):
        return (self.training and 0 < self.p < 1 and not self.inplace
                and x.device.type == "cpu" and x.requires_grad and torch.is_grad_enabled())

    def forward(self, x):
        if self._in_place_backward(x):
            return _DropoutCPU.apply(x, self.p)
        return super().forward(x)

    def channels_first(self, h):
        """``self(h.transpose(1, 2)).transpose(1, 2)`` for ``h`` (batch, C, T): the
        draws, values and gradients of dropout on the time-last view of ``h`` (as a
        layer that transposes a convolution's output draws them), but on the CPU the
        backward still works in place: the gradient of a transposed result arrives
        as a view, which :class:`_DropoutCPU` would not overwrite."""
        if self._in_place_backward(h):
            return _DropoutCPU.apply(h, self.p, True)
        return super().forward(h.transpose(1, 2)).transpose(1, 2)


def zero_padding(h, mask):
    """``h`` (batch, channels, T) with the steps outside ``mask`` (batch, T) zeroed.

    A temporal convolution after the first one would otherwise read the previous
    layer's activations on a padded batch's padding (bias and nonlinearity make them
    nonzero) at a video's last steps: with the padding zeroed, a video's outputs in a
    padded batch equal its outputs alone (the zeros are the convolution's own padding
    at the end of the video). ``mask`` None or all True: ``h`` itself.
    """
    if mask is None or bool(mask.all()):
        return h
    return h * mask.to(h.dtype).unsqueeze(1)


class FilterModule(nn.Module):
    """BaS-Net's filter module: per-snippet foreground weight in (0, 1).

    ``D -> hidden -> 1`` with LeakyReLU and a sigmoid. The official code uses kernel
    size 1 (the paper speaks of a temporal convolution); ``kernel_size`` chooses.

    Parameters
    ----------
    n_features : int
    hidden_size : int, default=512
    kernel_size : int, default=1
    """

    def __init__(self, n_features, hidden_size=512, kernel_size=1):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(n_features, hidden_size, kernel_size, padding=pad)
        self.conv2 = nn.Conv1d(hidden_size, 1, kernel_size, padding=pad)

    def forward(self, x, mask=None):
        """``x`` (batch, T, D) -> weights (batch, T, 1); ``mask`` (batch, T): the
        valid steps of a padded batch (:func:`zero_padding`)."""
        h = _leaky_relu(self.conv1(_channels_first(x)))
        if self.conv2.kernel_size[0] > 1:
            h = zero_padding(h, mask)
        return torch.sigmoid(one_output_conv(self.conv2, h)).transpose(1, 2)


class AttentionConv1d(nn.Module):
    """Convolution whose neighbours are weighted by embedding similarity.

    BackTAL's attention convolution (paper Eq. 12–14), reused by FS-PTAL: before the
    kernel is applied at position ``t``, each neighbour ``t + o`` is multiplied by the
    cosine similarity ``<e_t, e_{t+o}>`` of the (L2-normalised) embeddings. Out-of-range
    neighbours are zero (zero padding). With all similarities equal to 1 it is an
    ordinary ``Conv1d`` with ``padding=kernel_size // 2``.

    Because the similarity is a scalar per (t, o), it is applied *after* the kernel
    product: ``y_t = sum_o s_{t,o} W_o x_{t+o}``, computed as one ``1x1`` convolution
    with ``kernel_size * out_channels`` outputs and shifted sums — no unfolding of the
    input.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int, default=3
        Odd.
    bias : bool, default=False
        The official code has no bias.

    Examples
    --------
    >>> import torch
    >>> from sktal.nn import AttentionConv1d
    >>> conv = AttentionConv1d(4, 2)
    >>> x = torch.randn(1, 5, 4)
    >>> e = torch.nn.functional.normalize(torch.randn(1, 5, 8), dim=-1)
    >>> conv(x, e).shape
    torch.Size([1, 5, 2])
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, bias=False):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # same initialisation as nn.Conv1d
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        if self.bias is not None:
            bound = 1.0 / (self.in_channels * self.kernel_size) ** 0.5
            nn.init.uniform_(self.bias, -bound, bound)

    def neighbour_similarity(self, embedding):
        """Similarity ``s[b, t, o] = <e_t, e_{t+o-r}>`` (zero outside the video)."""
        r = self.kernel_size // 2
        padded = F.pad(embedding, (0, 0, r, r))  # pad time
        length = embedding.shape[1]
        sims = [
            (embedding * padded[:, o : o + length]).sum(-1)
            for o in range(self.kernel_size)
        ]
        return torch.stack(sims, dim=-1)  # (batch, T, K)

    def channels_first(self, x):
        """The ordinary convolution (all similarities 1) of ``x`` (batch, T, in) as
        the fresh (batch, out, T) tensor it computes; ``forward(x)`` is its
        transpose."""
        return F.conv1d(_channels_first(x), self.weight, self.bias,
                        padding=self.kernel_size // 2)

    def forward(self, x, embedding=None, similarity=None):
        """``x`` (batch, T, in) and ``embedding`` (batch, T, E) -> (batch, T, out).

        ``similarity`` (batch, T, kernel_size) may be passed instead of
        ``embedding`` to reuse it across layers.
        """
        r = self.kernel_size // 2
        if similarity is None:
            if embedding is None:  # all similarities 1: an ordinary convolution,
                # without the (batch, T, kernel_size, out) temporary of the general path
                return self.channels_first(x).transpose(1, 2)
            similarity = self.neighbour_similarity(embedding)
        length = x.shape[1]
        # z[b, t, o, :] = W_o x_t for every kernel offset o
        w = self.weight.permute(2, 0, 1).reshape(-1, self.in_channels)  # (K*out, in)
        z = (x @ w.t()).view(x.shape[0], length, self.kernel_size, self.out_channels)
        z = F.pad(z, (0, 0, 0, 0, r, r))
        out = 0
        for o in range(self.kernel_size):
            out = out + similarity[:, :, o : o + 1] * z[:, o : o + length, o]
        if self.bias is not None:
            out = out + self.bias
        return out


def _cat(tensors):
    """``torch.cat`` along the batch, without a copy for a single tensor."""
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors)


class CASModule(nn.Module):
    """Class activation sequence head shared by the BaS-Net family.

    Two temporal convolutions (``kernel_size``) with LeakyReLU, dropout, then a
    ``1x1`` classifier without bias to ``n_outputs`` (C + 1 with background). With
    ``attention=True`` the two temporal convolutions are :class:`AttentionConv1d`
    (BackTAL's affinity module, no bias) and ``forward`` takes the embedding.

    Parameters
    ----------
    n_features : int
    hidden_size : int
    n_outputs : int
    dropout : float, default=0.7
    kernel_size : int, default=3
    attention : bool, default=False
    bias : bool, default=True
        Bias of the two plain temporal convolutions (``attention=False``); the
        attention convolutions never have one (official BackTAL code).
    """

    def __init__(self, n_features, hidden_size, n_outputs, dropout=0.7,
                 kernel_size=3, attention=False, bias=True):
        super().__init__()
        self.attention = attention
        if attention:
            self.conv1 = AttentionConv1d(n_features, hidden_size, kernel_size)
            self.conv2 = AttentionConv1d(hidden_size, hidden_size, kernel_size)
        else:
            pad = kernel_size // 2
            self.conv1 = nn.Conv1d(n_features, hidden_size, kernel_size, padding=pad,
                                   bias=bias)
            self.conv2 = nn.Conv1d(hidden_size, hidden_size, kernel_size, padding=pad,
                                   bias=bias)
        self.dropout = Dropout(dropout)
        self.classifier = nn.Conv1d(hidden_size, n_outputs, 1, bias=False)

    def shares_first_layer(self):
        """Whether :meth:`forward` with ``scales`` computes the first convolution of
        both branches from one product (:meth:`_first_layer_of_both`): plain
        convolutions of at least :data:`~sktal._data.WIDE_MODULE_PARAMETERS` weights.
        Narrow heads keep the two convolutions, whose results do not differ by the
        rounding of another summation order (documented results stay bit-identical)."""
        from .._data import WIDE_MODULE_PARAMETERS
        return not self.attention and self.conv1.weight.numel() >= WIDE_MODULE_PARAMETERS

    def _first_layer_of_both(self, x, scales):
        """The first convolution of ``x`` and of ``x * scales`` (a weight per step),
        stacked along the batch, channels first: (2 batch, hidden, T).

        ``conv(x * a)_t = sum_o W_o x_{t+o-r} a_{t+o-r}``: with ``z[o, t] = W_o x_t``
        (one 1x1 convolution with ``kernel_size * hidden`` outputs) both branches are
        shifted sums of the same ``z``, the second weighted by ``a``. One product of
        the input with the weights instead of two in forward, one weight gradient
        instead of two in backward, and no input gradient (the gradient of ``a`` is
        ``sum_o <grad_t, z[o, t+o-r]>``, elementwise): at the papers' size the first
        layer's share of the step's FLOPs falls from 5 to 2 of 11 products. Equal to
        the two convolutions up to float rounding (``tests/test_nn.py``).
        """
        k, hidden = self.conv1.kernel_size[0], self.conv1.out_channels
        r, length = k // 2, x.shape[1]
        w = self.conv1.weight.permute(2, 0, 1).reshape(k * hidden, -1, 1)
        z = F.pad(F.conv1d(_channels_first(x), w), (r, r))
        z = z.view(x.shape[0], k, hidden, length + 2 * r)
        a = F.pad(scales.transpose(1, 2), (r, r))     # (batch, 1, T + 2r)
        base = supp = 0
        for o in range(k):
            zo = z[:, o, :, o:o + length]
            base = base + zo
            supp = supp + zo * a[:, :, o:o + length]
        both = torch.cat([base, supp])
        if self.conv1.bias is not None:
            both = both + self.conv1.bias[:, None]
        return both

    def forward(self, x, similarity=None, return_hidden=False, mask=None, scales=None):
        """``x`` (batch, T, D) -> CAS (batch, T, n_outputs).

        ``x`` may also be a sequence of batches (each (b_i, T, D)): the first
        convolution runs on each, and its outputs are concatenated along the batch
        dimension, so the result equals that of ``torch.cat(x)`` while a batch that
        needs no gradient (BaS-Net's raw features, next to the filtered ones) gets no
        input gradient computed for it. ``similarity`` then covers the concatenated
        batch. With ``return_hidden`` also the first convolution's activations
        (batch, T, hidden_size), after the LeakyReLU (BackTAL's ``feature1``).
        ``mask`` (b, T): the valid steps of a padded batch (of each batch of the
        sequence), zeroed in the first convolution's activations
        (:func:`zero_padding`) before the second reads them. ``scales`` (batch, T,
        1): run the two branches ``x`` and ``x * scales`` (BaS-Net's base and
        suppression branches), stacked in that order; with
        :meth:`shares_first_layer` from one product of ``x`` with the first
        layer's weights.
        """
        shared = scales is not None and self.shares_first_layer()
        if scales is not None and not shared:
            x = (x, x * scales)
        parts = [x, x] if shared else list(x) if isinstance(x, (list, tuple)) else [x]
        if mask is not None:
            mask = mask.repeat(len(parts), 1)
        if self.attention:
            sims = ([None] * len(parts) if similarity is None
                    else similarity.split([p.shape[0] for p in parts]))
            h1 = _leaky_relu(_cat([self.conv1(p, similarity=s)
                                    for p, s in zip(parts, sims)]))
            h1 = zero_padding(h1.transpose(1, 2), mask).transpose(1, 2)
            h = _leaky_relu(self.conv2(h1, similarity=similarity))
            h = self.dropout(h).transpose(1, 2)
        else:
            first = (self._first_layer_of_both(x, scales) if shared
                     else _cat([self.conv1(p.transpose(1, 2)) for p in parts]))
            h1 = zero_padding(_leaky_relu(first), mask)
            h = self.dropout(_leaky_relu(self.conv2(h1)))
            h1 = h1.transpose(1, 2)
        cas = self.classifier(h).transpose(1, 2)
        return (cas, h1) if return_hidden else cas


class EmbeddingModule(nn.Module):
    """L2-normalised snippet embedding (BackTAL's affinity branch, FS-PTAL's separation).

    ``Conv1d(D, hidden, k) + LeakyReLU, Conv1d(hidden, n_dims, k)``, normalised over
    channels.
    """

    def __init__(self, n_features, hidden_size=512, n_dims=32, kernel_size=3):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(n_features, hidden_size, kernel_size, padding=pad)
        self.conv2 = nn.Conv1d(hidden_size, n_dims, kernel_size, padding=pad)

    def forward(self, x, mask=None):
        """``x`` (batch, T, D) -> unit vectors (batch, T, n_dims); ``mask`` (batch,
        T): the valid steps of a padded batch, zero vectors on the padding (as
        outside a video, so that the similarities of attention convolutions with a
        padded neighbour are 0, :meth:`AttentionConv1d.neighbour_similarity`) and
        zeroed between the two convolutions (:func:`zero_padding`)."""
        h = self.conv2(zero_padding(_leaky_relu(self.conv1(_channels_first(x))), mask))
        h = zero_padding(h, mask)
        return F.normalize(h.transpose(1, 2), dim=-1)
