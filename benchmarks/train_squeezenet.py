"""Train the SqueezeNet 1.1 shipped with the library on the drawn shapes.

    python benchmarks/train_squeezenet.py            # a few minutes on 2 idle CPU cores

Writes course_lib/data/squeezenet_shapes.pt (float16 weights, class names, image
size) and benchmarks/squeezenet_training.md (time, accuracy, fooling statistics,
machine; with --output, the report goes beside the checkpoint), and prints the
file's SHA-256, which course_lib/squeezenet.py records as SHAPES_WEIGHTS_SHA256.
Seeds are fixed and two threads are used, so a rerun on the same machine and
library versions reproduces the weights.

Training: AdamW with a one-cycle schedule (warm-up, then cosine decay), random
horizontal flips, mixup (Zhang et al., 2018) with Beta(1, 1) weights, and
cross-entropy with label smoothing, for 20 epochs.

The network is SqueezeNet 1.1 with its module indices and state-dict layout, but
without the ReLU on the class maps (`SqueezeNet(final_relu=False)`): a class score
is the spatial average of its 1x1-conv map, an ordinary logit. With the ReLU, a
trained network drives the maps of wrong classes negative everywhere (79.5 % of
validation scores were exactly zero), and a zero score has zero gradient with
respect to the image, so fooling images and class visualizations towards those
classes cannot start. Label smoothing (0.1) keeps the logits moderate: the loss is
lowest when the correct logit leads the others by about log(0.9 * 11 / 0.1) = 4.6.

Mixup is there for the notebook, not for accuracy (which is near 100 % without
it). Trained on clean images alone, the network is hard to fool by ascent on the
target score: on a third of (image, target) pairs the ascent removes the image's
own evidence, then stalls, each step undoing the last, with the target still
behind. Mixup trains the scores to grow in proportion to the amount of a class
blended into an image, so the ascent finds evidence to add. Other remedies
(adversarial training, `--adversarial`; input noise, `--noise`; larger images;
more data) did worse or no better; squeezenet_training.md has the numbers.

After training, the script measures what the notebook does with the network:
`make_fooling_image` (at most 100 unit steps) on each of the notebook's 25 example
images, and on 25 validation images that no one chose, towards every wrong class,
with the size of the change in [0, 255] pixel units.

    python benchmarks/train_squeezenet.py --measure-only   # measure the shipped file
"""

import argparse
import hashlib
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from course_lib import shape_images
from course_lib.data_utils import NUM_EXAMPLES
from course_lib.image_preprocessing import SQUEEZENET_MEAN, SQUEEZENET_STD
from course_lib.squeezenet import SHAPES_WEIGHTS, SqueezeNet

REPORT = Path(__file__).with_name("squeezenet_training.md")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    parser.add_argument(
        "--weight-decay", type=float, default=5e-4, help="AdamW weight decay"
    )
    parser.add_argument(
        "--label-smoothing", type=float, default=0.1, help="cross-entropy smoothing"
    )
    parser.add_argument(
        "--mixup",
        type=float,
        default=1.0,
        help="mixup's Beta(a, a) parameter a; 0: off",
    )
    parser.add_argument(
        "--noise", type=float, default=0.0, help="std of Gaussian noise added to inputs"
    )
    parser.add_argument(
        "--adversarial",
        type=float,
        default=0.0,
        help="L2 radius (normalized units) of adversarial training; 0: off",
    )
    parser.add_argument(
        "--adversarial-steps", type=int, default=2, help="attack steps per batch"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--seed", type=int, default=0, help="seed of torch's RNG")
    parser.add_argument(
        "--output", type=Path, default=SHAPES_WEIGHTS, help="checkpoint to write"
    )
    parser.add_argument(
        "--held-out-images",
        type=int,
        default=NUM_EXAMPLES,
        help="validation images after the examples, also fooled towards every class",
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="only measure the checkpoint at --output (no training, no report)",
    )
    return parser.parse_args()


def to_tensor(X):
    """uint8 images (N, H, W, 3) -> normalized float32 tensor (N, 3, H, W)."""
    x = torch.from_numpy(X).permute(0, 3, 1, 2).float() / 255.0  # (N, 3, H, W)
    return (x - SQUEEZENET_MEAN[:, None, None]) / SQUEEZENET_STD[:, None, None]


def adversarial_batch(model, x, y, radius, steps):
    """The batch moved by an L2 attack: `steps` normalized gradient-ascent steps
    on the loss, each of length 2.5 * radius / steps, kept within `radius` of x."""
    delta = torch.zeros_like(x, requires_grad=True)  # (B, 3, H, W)
    step = 2.5 * radius / steps
    for _ in range(steps):
        loss = F.cross_entropy(model(x + delta), y)
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            norms = grad.flatten(1).norm(dim=1).clamp_min(1e-12)  # (B,)
            delta += step * grad / norms.view(-1, 1, 1, 1)
            norms = delta.flatten(1).norm(dim=1)  # (B,)
            delta *= (radius / norms).clamp(max=1).view(-1, 1, 1, 1)
    return (x + delta).detach()


def augmented_loss(model, x, y, args):
    """Cross-entropy with label smoothing on a batch that is first, if asked,
    attacked (`args.adversarial`, an L2 radius), made noisier by Gaussian noise of
    std `args.noise`, and mixed by mixup with Beta(a, a) weights, a = `args.mixup`.
    """
    if args.adversarial:
        x = adversarial_batch(model, x, y, args.adversarial, args.adversarial_steps)
    if args.noise:
        x = x + args.noise * torch.randn_like(x)
    if not args.mixup:
        return F.cross_entropy(model(x), y, label_smoothing=args.label_smoothing)
    lam = torch.distributions.Beta(args.mixup, args.mixup).sample((len(x),))  # (B,)
    partner = torch.randperm(len(x))
    x = lam.view(-1, 1, 1, 1) * x + (1 - lam.view(-1, 1, 1, 1)) * x[partner]
    scores = model(x)  # (B, C)
    own = F.cross_entropy(
        scores, y, reduction="none", label_smoothing=args.label_smoothing
    )
    other = F.cross_entropy(
        scores, y[partner], reduction="none", label_smoothing=args.label_smoothing
    )
    return (lam * own + (1 - lam) * other).mean()


@torch.no_grad()
def evaluate(model, x, y, batch_size=500):
    """Accuracy on (x, y), and the fraction of class scores that are exactly zero."""
    model.eval()
    batches = range(0, len(x), batch_size)
    scores = torch.cat([model(x[i : i + batch_size]) for i in batches])  # (N, C)
    accuracy = (scores.argmax(dim=1) == y).float().mean().item()
    return accuracy, (scores == 0).float().mean().item()


def fooling_statistics(model, x, y, indices):
    """Fool the model on each image x[i], i in `indices`, towards each wrong class,
    with the library's `make_fooling_image`.

    Returns a dict: pairs and fooled (counts), failed (a list of (image, target)),
    steps (list), and over the fooled pairs the L-infinity and L2 norms of the
    change in [0, 255] pixel units, and the L2 norm relative to the image's.
    """
    from course_lib.net_visualization_pytorch import make_fooling_image

    std = SQUEEZENET_STD.view(1, 3, 1, 1)
    mean = SQUEEZENET_MEAN.view(1, 3, 1, 1)
    pairs, failed, linf, l2, rel, steps = 0, [], [], [], [], []
    for i in indices:
        image = x[i : i + 1]  # (1, 3, H, W)
        for target in range(model.num_classes):
            if target == y[i]:
                continue
            pairs += 1
            X_fooling = make_fooling_image(image, target, model)
            with torch.no_grad():
                if model(X_fooling).argmax(dim=1).item() != target:
                    failed.append((i, target))
                    continue
            change = (X_fooling - image) * std * 255  # (1, 3, H, W), pixel units
            pixels = (image * std + mean) * 255
            linf.append(change.abs().max().item())
            l2.append(change.norm().item())
            rel.append((change.norm() / pixels.norm()).item())
            # Unit steps: the L2 length of the change in normalized units.
            steps.append(round(((X_fooling - image).norm()).item()))
    return {
        "pairs": pairs,
        "fooled": pairs - len(failed),
        "failed": failed,
        "linf": linf,
        "l2": l2,
        "rel": rel,
        "steps": steps,
    }


def saliency_lines(model, x_val, y_val):
    """Markdown lines on where the saliency maps of the 25 examples lie: the share
    of their mass on the object, and the share of the 100 most salient pixels of
    each image that are on it (more than half covered)."""
    from course_lib.net_visualization_pytorch import compute_saliency_maps

    examples = range(NUM_EXAMPLES)
    saliency = compute_saliency_maps(x_val[examples], y_val[examples], model)
    coverage = torch.from_numpy(shape_images.object_masks("val", examples))
    mass = (saliency * coverage).sum(dim=(1, 2)) / saliency.sum(dim=(1, 2))  # (25,)
    brightest = saliency.flatten(1).topk(100, dim=1).indices  # (25, 100)
    on_object = (coverage.flatten(1).gather(1, brightest) > 0.5).float().mean()
    return [
        f"| saliency of the 25 examples on the object (which covers "
        f"{100 * coverage.mean():.0f} % of the frame) | {100 * mass.mean():.0f} % of "
        f"the mass (lowest {100 * mass.min():.0f} %); {100 * on_object:.0f} % of "
        "the 100 brightest pixels |"
    ]


def fooling_report(model, x_val, y_val, held_out):
    """Markdown lines on fooling the notebook's examples (the first 25 validation
    images, `course_lib.data_utils`) and the `held_out` validation images after
    them, each towards every wrong class; and the seconds it took."""
    start = time.perf_counter()
    examples = range(NUM_EXAMPLES)
    others = range(NUM_EXAMPLES, NUM_EXAMPLES + held_out)
    lines = fooling_lines(
        fooling_statistics(model, x_val, y_val, examples), "the 25 examples"
    )
    if held_out:
        lines += fooling_lines(
            fooling_statistics(model, x_val, y_val, others),
            f"validation images {others.start} to {others.stop - 1}",
        )
    return lines, time.perf_counter() - start


def fooling_lines(stats, images):
    """Markdown lines summarizing `fooling_statistics` on `images` (a name)."""

    def summary(values, fmt):
        return f"median {fmt.format(np.median(values))}, max {fmt.format(max(values))}"

    lines = [
        f"| **{images}**: fooled within 100 steps | {stats['fooled']} of "
        f"{stats['pairs']} (image, wrong class) pairs |"
    ]
    if stats["failed"]:
        names = shape_images.CLASS_NAMES
        failed = ", ".join(f"{i} to {names[t]}" for i, t in stats["failed"])
        lines.append(f"| not fooled (image, target) | {failed} |")
    if stats["fooled"]:
        lines += [
            f"| steps taken | {summary(stats['steps'], '{:.0f}')} |",
            f"| change, L-infinity, [0, 255] units | "
            f"{summary(stats['linf'], '{:.1f}')} |",
            f"| change, L2 over all 3x64x64 values, [0, 255] units | "
            f"{summary(stats['l2'], '{:.0f}')} |",
            f"| change, L2 relative to the image | "
            f"{summary([100 * r for r in stats['rel']], '{:.2f}')} % |",
        ]
    return lines


def machine_info():
    """Processor model and core count from lscpu, Python and library versions."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        lscpu = ""
    keep = ("Model name", "CPU(s)", "Thread(s) per core", "CPU max MHz")
    lines = [line.strip() for line in lscpu.splitlines() if line.startswith(keep)]
    lines += [
        f"Platform: {platform.platform()}",
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {np.__version__}",
    ]
    return lines


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.measure_only:
        return measure(args)

    # 1. Data: generated (and cached) on first use.
    start = time.perf_counter()
    X_train, y_train = shape_images.load_shape_images("train")
    X_val, y_val = shape_images.load_shape_images("val")
    x_train, y_train = to_tensor(X_train), torch.from_numpy(y_train)
    x_val, y_val = to_tensor(X_val), torch.from_numpy(y_val)
    data_seconds = time.perf_counter() - start
    print(f"data: {len(x_train)} train, {len(x_val)} val, {data_seconds:.1f} s")

    # 2. Model and optimizer, with a cosine decay over all steps.
    model = SqueezeNet(num_classes=len(shape_images.CLASS_NAMES), final_relu=False)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=args.weight_decay
    )
    steps_per_epoch = len(x_train) // args.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=args.lr,
        total_steps=args.epochs * steps_per_epoch,
        pct_start=0.1,
    )

    # 3. Train, one line per epoch.
    start = time.perf_counter()
    accuracies = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(x_train))
        total_loss = 0.0
        for step in range(steps_per_epoch):
            batch = order[step * args.batch_size : (step + 1) * args.batch_size]
            x, y = x_train[batch], y_train[batch]  # (B, 3, 64, 64), (B,)
            flip = torch.rand(len(x)) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            loss = augmented_loss(model, x, y, args)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item()
        accuracy, _ = evaluate(model, x_val, y_val)
        accuracies.append(accuracy)
        minutes = (time.perf_counter() - start) / 60
        print(
            f"epoch {epoch:2d}  loss {total_loss / steps_per_epoch:.3f}  "
            f"val acc {accuracy:.3f}  {minutes:.1f} min",
            flush=True,
        )
    train_minutes = (time.perf_counter() - start) / 60

    # 4. Save float16 weights, and measure the network as it will be loaded.
    state_dict = {k: v.half() for k, v in model.state_dict().items()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": state_dict,
            "class_names": list(shape_images.CLASS_NAMES),
            "image_size": shape_images.IMAGE_SIZE,
            "final_relu": False,
        },
        args.output,
    )
    model.load_state_dict({k: v.float() for k, v in state_dict.items()})
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    accuracy, zero_scores = evaluate(model, x_val, y_val)
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    size_mb = args.output.stat().st_size / 1e6
    print(f"saved {args.output} ({size_mb:.2f} MB), val acc {accuracy:.4f}")
    print(f"sha256 {digest}", flush=True)
    fooling, fooling_seconds = fooling_report(model, x_val, y_val, args.held_out_images)
    print("\n".join(fooling), flush=True)

    # 5. The report.
    command = " ".join(["python", "benchmarks/train_squeezenet.py", *sys.argv[1:]])
    report = [
        "# Training the shipped SqueezeNet 1.1 on the drawn shapes",
        "",
        f"Command: `{command}`",
        "",
        "| | |",
        "|---|---|",
        f"| classes | {len(shape_images.CLASS_NAMES)} |",
        f"| images | {len(x_train)} train, {len(x_val)} val, 64x64 RGB |",
        f"| data loading | {data_seconds:.1f} s (generated once, then cached) |",
        f"| epochs | {args.epochs}, batch {args.batch_size} |",
        f"| optimizer | AdamW, peak lr {args.lr}, one-cycle cosine, "
        f"weight decay {args.weight_decay} |",
        f"| label smoothing | {args.label_smoothing} |",
        f"| augmentation | horizontal flips; mixup {args.mixup or 'off'}; "
        f"Gaussian noise {args.noise or 'off'} |",
        "| class maps | no final ReLU (`final_relu=False`): scores are logits |",
        f"| training time | {train_minutes:.1f} min on {args.threads} threads |",
        f"| val accuracy (float16 weights) | {100 * accuracy:.2f} % |",
        f"| val class scores exactly zero | {100 * zero_scores:.1f} % |",
        f"| weights file | {args.output.name}, {size_mb:.2f} MB, float16 |",
        f"| sha256 | `{digest}` |",
        *saliency_lines(model, x_val, y_val),
        *fooling,
        f"| fooling measurement | {fooling_seconds:.0f} s |",
        "",
        "Validation accuracy by epoch: "
        + ", ".join(f"{100 * a:.1f}" for a in accuracies)
        + " %.",
        "",
        "Machine:",
        "",
        *[f"- {line}" for line in machine_info()],
        "",
    ]
    # An experiment written elsewhere gets its report beside it.
    default = args.output == SHAPES_WEIGHTS
    report_path = REPORT if default else args.output.with_suffix(".md")
    report_path.write_text("\n".join(report))


def measure(args):
    """Accuracy and fooling statistics of the checkpoint at args.output."""
    checkpoint = torch.load(args.output, map_location="cpu", weights_only=True)
    model = SqueezeNet(
        num_classes=len(checkpoint["class_names"]),
        final_relu=checkpoint.get("final_relu", True),
    )
    model.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    X_val, y_val = shape_images.load_shape_images("val")
    x_val, y_val = to_tensor(X_val), torch.from_numpy(y_val)
    accuracy, zero_scores = evaluate(model, x_val, y_val)
    print(f"val acc {accuracy:.4f}, scores exactly zero {100 * zero_scores:.1f} %")
    lines = saliency_lines(model, x_val, y_val)
    lines += fooling_report(model, x_val, y_val, args.held_out_images)[0]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
