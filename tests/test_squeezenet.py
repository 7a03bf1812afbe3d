import pytest
import torch

from course_lib import shape_images, squeezenet
from course_lib.squeezenet import SqueezeNet, load_pretrained, squeezenet1_1

# The published SqueezeNet 1.1: (inplanes, squeeze, expand1x1, expand3x3) of the fire
# modules by their index in `features`; indices 0 (first conv), 1 (ReLU), 2, 5 and 8
# (max pools) have no fire module.
FIRES = {
    3: (64, 16, 64, 64),
    4: (128, 16, 64, 64),
    6: (128, 32, 128, 128),
    7: (256, 32, 128, 128),
    9: (256, 48, 192, 192),
    10: (384, 48, 192, 192),
    11: (384, 64, 256, 256),
    12: (512, 64, 256, 256),
}


def expected_shapes(num_classes):
    """State-dict keys and shapes of torchvision's squeezenet1_1, in order."""
    shapes = {"features.0.weight": (64, 3, 3, 3), "features.0.bias": (64,)}
    for i, (inplanes, squeeze, e1, e3) in FIRES.items():
        for name, shape in (
            ("squeeze", (squeeze, inplanes, 1, 1)),
            ("expand1x1", (e1, squeeze, 1, 1)),
            ("expand3x3", (e3, squeeze, 3, 3)),
        ):
            shapes[f"features.{i}.{name}.weight"] = shape
            shapes[f"features.{i}.{name}.bias"] = shape[:1]
    shapes["classifier.1.weight"] = (num_classes, 512, 1, 1)
    shapes["classifier.1.bias"] = (num_classes,)
    return shapes


@pytest.mark.parametrize("num_classes", [1000, 12])
def test_state_dict_matches_torchvision_layout(num_classes):
    state_dict = SqueezeNet(num_classes=num_classes).state_dict()
    expected = expected_shapes(num_classes)
    assert list(state_dict) == list(expected)
    assert {k: tuple(v.shape) for k, v in state_dict.items()} == expected


def test_loads_a_torchvision_style_state_dict_strictly(tmp_path):
    generator = torch.Generator().manual_seed(0)
    state_dict = {
        k: torch.randn(shape, generator=generator)
        for k, shape in expected_shapes(1000).items()
    }
    path = tmp_path / "squeezenet1_1-b8a52dc0.pth"
    torch.save(state_dict, path)

    model = squeezenet1_1(weights=path)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, state_dict[k], rtol=0, atol=0)

    frozen = load_pretrained(path)
    assert not frozen.training
    assert not any(p.requires_grad for p in frozen.parameters())


@pytest.mark.parametrize("size, cells", [(64, 3), (224, 13)])
def test_forward_shapes(size, cells):
    model = SqueezeNet(num_classes=7).eval()
    x = torch.randn(2, 3, size, size)
    assert model.features(x).shape == (2, 512, cells, cells)
    scores = model(x)
    assert scores.shape == (2, 7)
    assert (scores >= 0).all()  # ReLU before the average pool


def test_parameter_count():
    # 1,235,496 for ImageNet is the published count of SqueezeNet 1.1.
    assert sum(p.numel() for p in SqueezeNet().parameters()) == 1_235_496


def test_shipped_model_loads_and_is_frozen():
    model = load_pretrained()
    assert model.num_classes == len(shape_images.CLASS_NAMES)
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


def test_damaged_weights_are_refused(tmp_path, monkeypatch):
    damaged = tmp_path / "squeezenet_shapes.pt"
    data = bytearray(squeezenet.SHAPES_WEIGHTS.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(squeezenet, "SHAPES_WEIGHTS", damaged)
    with pytest.raises(RuntimeError, match="SHA-256"):
        load_pretrained()


def test_without_the_final_relu_only_the_clamp_changes():
    torch.manual_seed(0)
    clamped = SqueezeNet(num_classes=7).eval()
    logits = SqueezeNet(num_classes=7, final_relu=False).eval()
    # Same modules at the same indices, same state dict: the weights carry over.
    assert list(logits.state_dict()) == list(clamped.state_dict())
    logits.load_state_dict(clamped.state_dict(), strict=True)
    assert isinstance(logits.classifier[2], torch.nn.Identity)

    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        maps = clamped.classifier[1](clamped.features(x))  # (2, 7, 3, 3)
        torch.testing.assert_close(logits(x), maps.mean(dim=(2, 3)))
        torch.testing.assert_close(clamped(x), maps.clamp(min=0).mean(dim=(2, 3)))


def test_shipped_model_scores_are_logits_with_gradients():
    model = load_pretrained()
    assert not model.final_relu
    x = torch.randn(1, 3, 64, 64, requires_grad=True)
    scores = model(x)
    assert (scores < 0).any()  # not clamped at zero
    for c in range(model.num_classes):
        (grad,) = torch.autograd.grad(scores[0, c], x, retain_graph=True)
        assert grad.abs().sum() > 0  # every class can be pushed up
