"""Train the notebook's three GANs on the embedded digits and judge their samples.

For each GAN (vanilla, least squares, convolutional) at its training budget this
reports the wall-clock and CPU time of `run_a_gan`, and how much a small digit
classifier, trained here on the embedded training set, believes the generated
digits: the mean of its largest softmax probability and the histogram of its
predicted classes over 1,000 samples, next to the same figures on 1,000 real
validation digits. Recognizable digits score near the real ones; blobs and
mixtures score low, and a collapsed generator shows as a lopsided histogram.

It writes a grid of 64 samples of each GAN to benchmarks/gan_samples_<name>.png,
and one of 64 real validation digits to benchmarks/digits_val.png.

    python benchmarks/gan_quality.py            # all three, about 10 minutes
    python benchmarks/gan_quality.py --only dc  # one of them
"""

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from course_lib import gan_pytorch as gan
from course_lib.digits import Digits

BATCH_SIZE = 128
SAMPLES = 1000
# Epochs of the embedded training set (156 full batches each) per GAN.
BUDGETS = {"vanilla": 10, "lsgan": 10, "dc": 3}
OUT = Path(__file__).parent


def build_gan(name):
    """The discriminator, generator and loss functions the notebook uses."""
    if name == "dc":
        D, G = gan.build_dc_classifier(BATCH_SIZE), gan.build_dc_generator()
        D.apply(gan.initialize_weights)
        G.apply(gan.initialize_weights)
    else:
        D, G = gan.discriminator(), gan.generator()
    if name == "lsgan":
        return D, G, gan.ls_discriminator_loss, gan.ls_generator_loss
    return D, G, gan.discriminator_loss, gan.generator_loss


def train_classifier(train):
    """A small CNN digit classifier, two epochs on the training split."""
    model = nn.Sequential(
        nn.Conv2d(1, 16, 5),  # (N, 16, 24, 24)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 12, 12)
        nn.Conv2d(16, 32, 5),  # (N, 32, 8, 8)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, 4, 4)
        nn.Flatten(),  # (N, 512)
        nn.Linear(512, 10),  # (N, 10)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(train, batch_size=BATCH_SIZE, shuffle=True)
    for _ in range(2):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def judge(classifier, images):
    """Mean max-softmax confidence and class histogram of (N, 1, 28, 28) images."""
    probabilities = F.softmax(classifier(images), dim=1)  # (N, 10)
    confidence, predicted = probabilities.max(dim=1)
    return confidence.mean().item(), np.bincount(predicted.numpy(), minlength=10)


@torch.no_grad()
def sample(G, count):
    """(count, 1, 28, 28) generated images in [0, 1], in batches as in training."""
    batches = [
        G(gan.sample_noise(BATCH_SIZE, gan.NOISE_DIM).to(gan.device)).cpu()
        for _ in range(-(-count // BATCH_SIZE))
    ]
    return gan.deprocess_img(torch.cat(batches)[:count]).reshape(count, 1, 28, 28)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", choices=sorted(BUDGETS), help="train this GAN only (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="PyTorch seed (default 0)")
    args = parser.parse_args()

    print(f"{platform.platform()}, {platform.processor() or platform.machine()}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {gan.device}")
    torch.manual_seed(args.seed)
    train, val = Digits("train"), Digits("val")
    start = time.perf_counter()
    classifier = train_classifier(train)
    print(f"classifier trained in {time.perf_counter() - start:.0f} s")

    real = val.images[:SAMPLES]
    gan.show_images(real[:64]).savefig(OUT / "digits_val.png", dpi=40)
    confidence, histogram = judge(classifier, real)
    accuracy = (classifier(real).argmax(dim=1) == val.labels[:SAMPLES]).float().mean()
    rows = [("real (val)", "-", "-", "-", confidence, histogram)]
    print(f"real digits: accuracy {accuracy:.3f}, confidence {confidence:.3f}")

    loader = DataLoader(train, batch_size=BATCH_SIZE, shuffle=True)
    for name in [args.only] if args.only else BUDGETS:
        torch.manual_seed(args.seed)
        D, G, d_loss, g_loss = build_gan(name)
        wall, cpu = time.perf_counter(), time.process_time()
        gan.run_a_gan(
            D,
            G,
            gan.get_optimizer(D),
            gan.get_optimizer(G),
            d_loss,
            g_loss,
            loader,
            show_every=500,
            num_epochs=BUDGETS[name],
            schedule="full",
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        fakes = sample(G, SAMPLES)
        confidence, histogram = judge(classifier, fakes)
        times = f"{wall:.0f}", f"{cpu:.0f}"
        rows.append((name, BUDGETS[name], *times, confidence, histogram))
        path = OUT / f"gan_samples_{name}.png"
        gan.show_images(fakes[:64]).savefig(path, dpi=40)
        print(f"{name}: {wall:.0f} s, confidence {confidence:.3f}; wrote {path}")

    print("\n| data | epochs | wall s | CPU s | confidence | predicted classes 0-9 |")
    print("|---|---|---|---|---|---|")
    for name, epochs, wall, cpu, confidence, histogram in rows:
        counts = " ".join(str(c) for c in histogram)
        print(f"| {name} | {epochs} | {wall} | {cpu} | {confidence:.3f} | {counts} |")


if __name__ == "__main__":
    main()
