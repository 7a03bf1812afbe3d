"""Images in and out of SqueezeNet's input format, and the image regularizers.

SqueezeNet takes float images (N, 3, H, W) normalized per channel with the ImageNet
statistics below: x = (pixel / 255 - mean) / std. The shipped network trained on drawn
shapes uses the same normalization, so every helper serves both networks.

Everything here is plain PyTorch and Pillow; torchvision is not needed.
"""

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

SQUEEZENET_MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float32)
SQUEEZENET_STD = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float32)


def preprocess(img, size=None):
    """Turn one RGB image into a normalized batch of one for SqueezeNet.

    Inputs:
    - img: a PIL image, or a uint8 array (H, W, 3).
    - size: None keeps the image's size; an int resizes its shorter side to `size`
      (keeping the aspect ratio); a pair (H, W) resizes to exactly that.

    Returns a float32 tensor (1, 3, H, W): (pixel / 255 - mean) / std per channel.
    """
    if isinstance(img, np.ndarray):
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                "preprocess expects a uint8 array of shape (H, W, 3), got "
                f"{img.dtype} {img.shape}. Convert with `x.astype(np.uint8)`, or pass "
                "a PIL image."
            )
        img = Image.fromarray(img)
    elif not isinstance(img, Image.Image):
        raise TypeError(
            f"preprocess expects a PIL image or a uint8 array (H, W, 3), got "
            f"{type(img).__name__}."
        )
    img = img.convert("RGB")

    # 1. Resize like torchvision's Resize: an int sets the shorter side.
    if size is not None:
        if isinstance(size, int):
            width, height = img.size
            scale = size / min(width, height)
            size = (round(height * scale), round(width * scale))
        height, width = size
        if (width, height) != img.size:
            img = img.resize((width, height), resample=Image.BILINEAR)

    # 2. To a float tensor in [0, 1], channels first, then normalize.
    pixels = torch.from_numpy(np.array(img, dtype=np.float32) / 255.0)  # (H, W, 3)
    x = pixels.permute(2, 0, 1)  # (3, H, W)
    x = (x - SQUEEZENET_MEAN[:, None, None]) / SQUEEZENET_STD[:, None, None]
    return x.unsqueeze(0)  # (1, 3, H, W)


def deprocess(img, should_rescale=True):
    """Turn a normalized image back into a PIL image: the inverse of `preprocess`.

    Inputs:
    - img: tensor (1, 3, H, W) or (3, H, W) in SqueezeNet's normalized units.
    - should_rescale: stretch the result to span [0, 1] before converting, as
      synthesized images rarely fill the valid range. Use False to keep absolute
      values, e.g. to show a difference of two images (zero difference comes out
      as the mean colour).

    Returns a PIL RGB image (W x H). Values outside [0, 1] are clipped.
    """
    x = img.detach().cpu().float()
    if x.dim() == 4:
        x = x[0]  # (3, H, W)
    x = x * SQUEEZENET_STD[:, None, None] + SQUEEZENET_MEAN[:, None, None]
    if should_rescale:
        x = rescale(x)
    pixels = (x.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)  # (3, H, W)
    return Image.fromarray(pixels.permute(1, 2, 0).numpy())


def rescale(x):
    """Stretch a tensor linearly so that its minimum is 0 and its maximum 1.

    A constant tensor has no range to stretch and comes back as zeros.
    """
    low, high = x.min(), x.max()
    return (x - low) / (high - low).clamp(min=1e-12)


def blur_image(X, sigma=1):
    """Blur images in place with a Gaussian of standard deviation `sigma` pixels.

    The blur is separable: one depthwise convolution along the rows, one along the
    columns, each with the normalized kernel exp(-k^2 / (2 sigma^2)) for
    |k| <= round(4 sigma), and mirrored edges (d c b a | a b c d). This is what
    scipy.ndimage.gaussian_filter1d computes with its defaults.

    Inputs:
    - X: tensor (N, C, H, W), overwritten with the blurred images.
    - sigma: positive float, in pixels.

    Returns X.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}.")
    N, C, H, W = X.shape
    radius = int(4 * sigma + 0.5)
    k = torch.arange(-radius, radius + 1, dtype=X.dtype, device=X.device)
    kernel = torch.exp(-(k**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()  # (2r + 1,)

    # One kernel per channel, applied separately (groups=C), first down then across.
    rows = _mirror_pad(X, radius, dim=2)  # (N, C, H + 2r, W)
    rows = F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(C, 1, 1, 1), groups=C)
    cols = _mirror_pad(rows, radius, dim=3)  # (N, C, H, W + 2r)
    out = F.conv2d(cols, kernel.view(1, 1, 1, -1).repeat(C, 1, 1, 1), groups=C)
    X.copy_(out)  # (N, C, H, W)
    return X


def _mirror_pad(x, radius, dim):
    """Pad `x` by `radius` on both sides of `dim`, reflecting about the edges."""
    L = x.shape[dim]
    index = torch.arange(-radius, L + radius, device=x.device) % (2 * L)
    index = torch.where(index < L, index, 2 * L - 1 - index)
    return x.index_select(dim, index)


def jitter(X, ox, oy):
    """Shift images circularly: `ox` pixels right and `oy` pixels down.

    Pixels pushed over one edge come back at the opposite edge; negative shifts move
    left and up, so jitter(jitter(X, ox, oy), -ox, -oy) is X.

    Inputs:
    - X: tensor (N, C, H, W).
    - ox, oy: integer shifts along the width and the height.

    Returns a new tensor (N, C, H, W).
    """
    return torch.roll(X, shifts=(oy, ox), dims=(2, 3))
