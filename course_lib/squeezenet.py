"""SqueezeNet 1.1 in plain PyTorch, and the pretrained models of the visualization part.

The architecture follows Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x
fewer parameters and < 0.5MB model size" (2016), version 1.1. Module indices and
parameter names match torchvision's `squeezenet1_1`, so its ImageNet state dict
(`squeezenet1_1-b8a52dc0.pth`) loads with `strict=True` and torchvision is never
needed.

Two pretrained models are available through `load_pretrained`:

- the default, shipped with the library: SqueezeNet 1.1 trained on the drawn shapes
  of `course_lib.shape_images` (64x64 images, a dozen classes), without the ReLU
  on its class maps (`final_relu=False`, see `SqueezeNet`), so that every class
  score has a gradient with respect to the image;
- SqueezeNet 1.1 trained on ImageNet, given the path of torchvision's weight file.
"""

import hashlib
from pathlib import Path

import torch
from torch import nn

# The weights trained by `benchmarks/train_squeezenet.py`, and their SHA-256.
SHAPES_WEIGHTS = Path(__file__).parent / "data" / "squeezenet_shapes.pt"
SHAPES_WEIGHTS_SHA256 = (
    "3381a101fd3275143540257ffe49cf8b11ba7e71d67bc856bdbddab8acc538cd"
)


class Fire(nn.Module):
    """A fire module: a 1x1 "squeeze" conv feeding parallel 1x1 and 3x3 "expand" convs.

    Input (N, inplanes, H, W); output (N, expand1x1_planes + expand3x3_planes, H, W),
    the two expand branches concatenated along channels.
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(
            squeeze_planes, expand3x3_planes, kernel_size=3, padding=1
        )
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))  # (N, squeeze_planes, H, W)
        return torch.cat(
            [
                self.expand1x1_activation(self.expand1x1(x)),
                self.expand3x3_activation(self.expand3x3(x)),
            ],
            dim=1,
        )  # (N, expand1x1_planes + expand3x3_planes, H, W)


class SqueezeNet(nn.Module):
    """SqueezeNet 1.1: maps images (N, 3, H, W) to class scores (N, num_classes).

    The scores are the spatial average of a 1x1-conv class map. In the published
    network (final_relu=True) the class map goes through a ReLU first, so scores are
    never negative, and a class whose map is negative everywhere scores exactly zero
    with zero gradient. With final_relu=False that ReLU, `classifier[2]`, is an
    identity: the scores are then ordinary logits, which never stop responding to the
    image. The module indices and the state dict are the same either way. The average
    pooling adapts to the input size: any image of at least 32x32 pixels works
    (224x224 for the ImageNet weights, 64x64 for the shapes).
    """

    def __init__(self, num_classes=1000, dropout=0.5, final_relu=True):
        super().__init__()
        self.num_classes = num_classes
        self.final_relu = final_relu
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3, stride=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(64, 16, 64, 64),
            Fire(128, 16, 64, 64),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(128, 32, 128, 128),
            Fire(256, 32, 128, 128),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(256, 48, 192, 192),
            Fire(384, 48, 192, 192),
            Fire(384, 64, 256, 256),
            Fire(512, 64, 256, 256),
        )
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            final_conv,
            nn.ReLU(inplace=True) if final_relu else nn.Identity(),
            nn.AdaptiveAvgPool2d((1, 1)),
        )

        # Initialization of the reference implementation: Kaiming-uniform convs, a
        # small normal final conv so that every class starts with a near-zero score.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                if module is final_conv:
                    nn.init.normal_(module.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.features(x)  # (N, 512, H', W'), H' = W' = 3 for 64x64 inputs
        x = self.classifier(x)  # (N, num_classes, 1, 1)
        return torch.flatten(x, 1)  # (N, num_classes)


def squeezenet1_1(weights=None, num_classes=1000):
    """A SqueezeNet 1.1, randomly initialized or loaded from a state-dict file.

    Inputs:
    - weights: None for random weights, or the path of a file saved with
      `torch.save(model.state_dict())`, such as torchvision's
      `squeezenet1_1-b8a52dc0.pth` (with num_classes=1000).
    - num_classes: number of classes the network scores.

    Returns the model in training mode, as `torch.nn.Module`s are created.
    """
    model = SqueezeNet(num_classes=num_classes)
    if weights is not None:
        state_dict = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state_dict, strict=True)
    return model


def load_pretrained(path=None):
    """A pretrained SqueezeNet 1.1 in evaluation mode, with its parameters frozen.

    Inputs:
    - path: None for the network shipped with the library, trained on the 64x64
      drawn shapes of `course_lib.shape_images`; or the path of torchvision's
      ImageNet weights `squeezenet1_1-b8a52dc0.pth` (224x224 images, 1000 classes).

    Returns the model. Its class names come with the images:
    `course_lib.data_utils.load_imagenet_val` returns them for either set.
    """
    if path is not None:
        model = squeezenet1_1(weights=path, num_classes=1000)
    else:
        checkpoint = _load_shapes_checkpoint()
        model = SqueezeNet(
            num_classes=len(checkpoint["class_names"]),
            final_relu=checkpoint.get("final_relu", True),
        )
        state_dict = {k: v.float() for k, v in checkpoint["state_dict"].items()}
        model.load_state_dict(state_dict, strict=True)

    # The visualizations differentiate with respect to images, never weights.
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def _load_shapes_checkpoint():
    """The shipped checkpoint: {"state_dict" (float16), "class_names", "image_size",
    "final_relu"}."""
    if not SHAPES_WEIGHTS.exists():
        raise FileNotFoundError(
            f"The pretrained weights {SHAPES_WEIGHTS} are missing. They ship with the "
            "library; reinstall it, or recreate them with "
            "`python benchmarks/train_squeezenet.py`."
        )
    digest = hashlib.sha256(SHAPES_WEIGHTS.read_bytes()).hexdigest()
    if digest != SHAPES_WEIGHTS_SHA256:
        raise RuntimeError(
            f"The pretrained weights {SHAPES_WEIGHTS} have SHA-256 {digest}, expected "
            f"{SHAPES_WEIGHTS_SHA256}: the file is damaged or was replaced. Restore it "
            "from the course repository (git checkout), or retrain it with "
            "`python benchmarks/train_squeezenet.py` and record its new SHA-256 in "
            "course_lib/squeezenet.py."
        )
    return torch.load(SHAPES_WEIGHTS, map_location="cpu", weights_only=True)
