"""Write course_lib/data/gan-checks.npz, the expected values of the GAN loss checks.

The notebook's loss checks compare a student's losses on fixed logits with the values
the reference implementation in course_lib.gan_pytorch computes here:

    logits_real, logits_fake   (N,) float32 logits, drawn from a seeded generator
    d_loss_true, g_loss_true   discriminator_loss and generator_loss on them
    d_loss_lsgan_true          ls_discriminator_loss(logits_real, logits_fake)
    g_loss_lsgan_true          ls_generator_loss(logits_fake)

Run it after changing a loss:  python scripts/make_gan_checks.py [--out PATH]
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from course_lib import gan_pytorch

N = 16  # logits per check
SEED = 231
DEFAULT_OUT = Path(gan_pytorch.__file__).parent / "data" / "gan-checks.npz"


def make_checks():
    """The arrays of the checks file, by key."""
    rng = np.random.default_rng(SEED)
    # Real images tend to score above zero and fakes below; spread both widely
    # enough that the losses see confident and unsure logits alike.
    logits_real = rng.normal(1.0, 2.0, size=N).astype(np.float32)
    logits_fake = rng.normal(-1.0, 2.0, size=N).astype(np.float32)
    real, fake = torch.from_numpy(logits_real), torch.from_numpy(logits_fake)
    return {
        "logits_real": logits_real,
        "logits_fake": logits_fake,
        "d_loss_true": gan_pytorch.discriminator_loss(real, fake).numpy(),
        "g_loss_true": gan_pytorch.generator_loss(fake).numpy(),
        "d_loss_lsgan_true": gan_pytorch.ls_discriminator_loss(real, fake).numpy(),
        "g_loss_lsgan_true": gan_pytorch.ls_generator_loss(fake).numpy(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"where to write the .npz file (default: {DEFAULT_OUT})",
    )
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **make_checks())
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
