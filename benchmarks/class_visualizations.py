"""Class visualizations of the shipped SqueezeNet, one per class, with the
notebook's settings.

    python benchmarks/class_visualizations.py     # about a minute on 2 CPU cores

Writes benchmarks/class_visualizations.png (the final image of every class,
titled with the probability the network gives it) and
benchmarks/class_visualizations.md (the probabilities and the machine).
"""

import platform
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from course_lib.net_visualization_pytorch import (  # noqa: E402
    create_class_visualization,
    preprocess,
)
from course_lib.shape_images import CLASS_NAMES  # noqa: E402
from course_lib.squeezenet import load_pretrained  # noqa: E402

HERE = Path(__file__).parent
# The settings of the notebook's `CLASS_VIS_SETTINGS`, and its seed.
SETTINGS = dict(l2_reg=1e-4, blur_every=4, num_iterations=200, show_every=200)
SEED = 0


def main():
    torch.set_num_threads(2)
    model = load_pretrained()
    class_names = dict(enumerate(CLASS_NAMES))

    start = time.perf_counter()
    results = []  # (name, probability, PIL image)
    for target, name in class_names.items():
        image, _ = create_class_visualization(
            target,
            model,
            class_names=class_names,
            generator=torch.Generator().manual_seed(SEED),
            **SETTINGS,
        )
        # The probability of the image as a student would see it: the saved,
        # 8-bit picture, preprocessed again.
        with torch.no_grad():
            scores = model(preprocess(image))  # (1, C)
        probability = scores.softmax(dim=1)[0, target].item()
        results.append((name, probability, image))
        print(f"{name:15s} p = {probability:.3f}", flush=True)
    seconds = time.perf_counter() - start

    columns = 6
    rows = -(-len(results) // columns)
    plt.figure(figsize=(2.2 * columns, 2.5 * rows))
    for i, (name, probability, image) in enumerate(results):
        plt.subplot(rows, columns, i + 1)
        plt.imshow(image)
        plt.title(f"{name}\np = {probability:.2f}", fontsize=9)
        plt.axis("off")
    plt.tight_layout()
    plt.savefig(HERE / "class_visualizations.png", dpi=80)

    lines = [
        "# Class visualizations of the shipped SqueezeNet",
        "",
        "Command: `python benchmarks/class_visualizations.py`. Settings of the "
        f"notebook: {SETTINGS}, seed {SEED}; the images are in "
        "`class_visualizations.png`.",
        "",
        "| class | probability of the final image |",
        "|---|---|",
        *[f"| {name} | {probability:.3f} |" for name, probability, _ in results],
        "",
        f"{len(results)} classes in {seconds:.0f} s on {torch.get_num_threads()} "
        f"threads; {platform.platform()}, torch {torch.__version__}.",
        "",
    ]
    (HERE / "class_visualizations.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
