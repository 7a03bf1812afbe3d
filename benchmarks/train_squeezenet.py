"""Train the SqueezeNet 1.1 shipped with the library on the drawn shapes.

    python benchmarks/train_squeezenet.py            # a few minutes on 2 idle CPU cores

Writes course_lib/data/squeezenet_shapes.pt (float16 weights, class names, image
size) and benchmarks/squeezenet_training.md (time, accuracy, machine), and prints the
file's SHA-256, which course_lib/squeezenet.py records as SHAPES_WEIGHTS_SHA256.
Seeds are fixed and two threads are used, so a rerun on the same machine and
library versions reproduces the weights.

Training: AdamW with a one-cycle schedule (warm-up, then cosine decay), random
horizontal flips, and cross-entropy with label smoothing.

After training, the biases of the final 1x1 conv are all raised by one constant. A
class score is the average of a ReLU'd class map; trained to near-certainty, most
wrong classes' maps end up entirely negative, so their scores sit at zero with zero
gradient with respect to the image, and neither a fooling image nor a class
visualization towards them can start. Raising every class map by the same amount
until each has a positive cell on every training image keeps all scores alive and
changes no prediction where the maps were already positive.
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
from course_lib.image_preprocessing import SQUEEZENET_MEAN, SQUEEZENET_STD
from course_lib.squeezenet import SHAPES_WEIGHTS, SqueezeNet

REPORT = Path(__file__).with_name("squeezenet_training.md")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=7, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    parser.add_argument(
        "--weight-decay", type=float, default=5e-4, help="AdamW weight decay"
    )
    parser.add_argument(
        "--label-smoothing", type=float, default=0.1, help="cross-entropy smoothing"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of torch's RNG")
    return parser.parse_args()


def to_tensor(X):
    """uint8 images (N, H, W, 3) -> normalized float32 tensor (N, 3, H, W)."""
    x = torch.from_numpy(X).permute(0, 3, 1, 2).float() / 255.0  # (N, 3, H, W)
    return (x - SQUEEZENET_MEAN[:, None, None]) / SQUEEZENET_STD[:, None, None]


@torch.no_grad()
def evaluate(model, x, y, batch_size=500):
    """Accuracy on (x, y), and the fraction of class scores that are exactly zero."""
    model.eval()
    batches = range(0, len(x), batch_size)
    scores = torch.cat([model(x[i : i + batch_size]) for i in batches])  # (N, C)
    accuracy = (scores.argmax(dim=1) == y).float().mean().item()
    return accuracy, (scores == 0).float().mean().item()


@torch.no_grad()
def lift_class_maps(model, x, batch_size=500):
    """Raise all final biases by one constant so that no class score is zero on x.

    The constant is 1 plus the largest deficit: minus the smallest, over images and
    classes, of a class map's largest cell. Returns the constant.
    """
    model.eval()
    final_conv = model.classifier[1]
    deficit = 0.0
    for i in range(0, len(x), batch_size):
        maps = final_conv(model.features(x[i : i + batch_size]))  # (B, C, H', W')
        deficit = max(deficit, -maps.amax(dim=(2, 3)).min().item())
    lift = float(np.ceil(deficit)) + 1.0
    final_conv.bias += lift
    return lift


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
    torch.set_num_threads(2)

    # 1. Data: generated (and cached) on first use.
    start = time.perf_counter()
    X_train, y_train = shape_images.load_shape_images("train")
    X_val, y_val = shape_images.load_shape_images("val")
    x_train, y_train = to_tensor(X_train), torch.from_numpy(y_train)
    x_val, y_val = to_tensor(X_val), torch.from_numpy(y_val)
    data_seconds = time.perf_counter() - start
    print(f"data: {len(x_train)} train, {len(x_val)} val, {data_seconds:.1f} s")

    # 2. Model and optimizer, with a cosine decay over all steps.
    model = SqueezeNet(num_classes=len(shape_images.CLASS_NAMES))
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
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(x_train))
        total_loss = 0.0
        for step in range(steps_per_epoch):
            batch = order[step * args.batch_size : (step + 1) * args.batch_size]
            x, y = x_train[batch], y_train[batch]  # (B, 3, 64, 64), (B,)
            flip = torch.rand(len(x)) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            loss = F.cross_entropy(model(x), y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item()
        accuracy, _ = evaluate(model, x_val, y_val)
        minutes = (time.perf_counter() - start) / 60
        print(
            f"epoch {epoch:2d}  loss {total_loss / steps_per_epoch:.3f}  "
            f"val acc {accuracy:.3f}  {minutes:.1f} min",
            flush=True,
        )
    train_minutes = (time.perf_counter() - start) / 60

    # 4. Keep every class score alive, save float16 weights, and measure the network
    # as it will be loaded.
    lift = lift_class_maps(model, x_train)
    state_dict = {k: v.half() for k, v in model.state_dict().items()}
    SHAPES_WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": state_dict,
            "class_names": list(shape_images.CLASS_NAMES),
            "image_size": shape_images.IMAGE_SIZE,
        },
        SHAPES_WEIGHTS,
    )
    model.load_state_dict({k: v.float() for k, v in state_dict.items()})
    accuracy, zero_scores = evaluate(model, x_val, y_val)
    digest = hashlib.sha256(SHAPES_WEIGHTS.read_bytes()).hexdigest()
    size_mb = SHAPES_WEIGHTS.stat().st_size / 1e6
    print(f"saved {SHAPES_WEIGHTS} ({size_mb:.2f} MB), val acc {accuracy:.4f}")
    print(f"sha256 {digest}")

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
        f"| final biases raised by | {lift} |",
        f"| training time | {train_minutes:.1f} min on 2 threads |",
        f"| val accuracy (float16 weights) | {100 * accuracy:.2f} % |",
        f"| val class scores exactly zero | {100 * zero_scores:.1f} % |",
        f"| weights file | {SHAPES_WEIGHTS.name}, {size_mb:.2f} MB, float16 |",
        f"| sha256 | `{digest}` |",
        "",
        "Machine:",
        "",
        *[f"- {line}" for line in machine_info()],
        "",
    ]
    REPORT.write_text("\n".join(report))


if __name__ == "__main__":
    main()
