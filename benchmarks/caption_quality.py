"""How well a CaptioningRNN learns the embedded synthetic captioning dataset.

Trains the reference CaptioningRNN (vanilla RNN, the notebook's sizes) on the full
synthetic training split for a budget of CPU time, then writes greedy captions for
every validation image and scores them with corpus BLEU-4 against the five
reference captions of each image. Writes benchmarks/caption_quality.md.

    OMP_NUM_THREADS=1 python benchmarks/caption_quality.py [--cpu-seconds 120]

One BLAS thread makes CPU time a fair budget: several threads spinning on a busy
machine burn CPU time without doing more work.
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from course_lib.captioning_solver import CaptioningSolver
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.coco_utils import decode_captions, load_coco_data
from course_lib.metrics import corpus_bleu

REPORT = Path(__file__).with_name("caption_quality.md")
ROUND = 20  # iterations between checks of the CPU budget


def words(caption):
    """Decoded caption without the special tokens, as a str."""
    return " ".join(w for w in caption.split() if w not in ("<START>", "<END>"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cpu-seconds", type=float, default=120, help="training budget (CPU seconds)"
    )
    args = parser.parse_args()

    # 1. Data (generated on first use) and the model of the notebook.
    np.random.seed(231)
    started = time.perf_counter()
    data = load_coco_data()
    load_seconds = time.perf_counter() - started
    model = CaptioningRNN(
        data["word_to_idx"], input_dim=512, wordvec_dim=256, hidden_dim=512
    )
    solver = CaptioningSolver(
        model,
        data,
        update_rule="adam",
        optim_config={"learning_rate": 5e-3},
        lr_decay=0.98,
        batch_size=100,
        num_epochs=1,
        verbose=False,
    )

    # 2. Train in rounds of ROUND iterations until the CPU budget is spent. A round
    #    is one solver "epoch" over the next ROUND * 100 captions of a shuffled
    #    order, so the budget is checked often and lr_decay applies per round.
    order = np.random.permutation(len(data["train_captions"]))
    chunks = np.array_split(order, len(order) // (ROUND * 100))
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    rounds = 0
    while time.process_time() - cpu_start < args.cpu_seconds:
        chunk = chunks[rounds % len(chunks)]
        solver.data = {
            **data,
            "train_captions": data["train_captions"][chunk],
            "train_image_idxs": data["train_image_idxs"][chunk],
        }
        solver.train()
        rounds += 1
    cpu_seconds = time.process_time() - cpu_start
    wall_seconds = time.perf_counter() - wall_start
    losses = solver.loss_history

    # 3. Greedy captions for every validation image, scored against its references.
    features = data["val_features"]
    samples = decode_captions(
        model.sample(features, max_length=17), data["idx_to_word"]
    )
    hypotheses = [words(s) for s in samples]
    references = [[] for _ in range(len(features))]
    for caption, image in zip(
        decode_captions(data["val_captions"], data["idx_to_word"]),
        data["val_image_idxs"],
    ):
        references[image].append(words(caption))
    bleu = corpus_bleu(hypotheses, references)
    exact = np.mean([h in refs for h, refs in zip(hypotheses, references)])

    # 4. Report.
    lines = [
        "# Caption quality on the embedded synthetic dataset",
        "",
        "Written by `python benchmarks/caption_quality.py`.",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}; other jobs shared the CPUs",
        f"- data: {len(data['train_captions'])} training captions of "
        f"{len(data['train_features'])} images, {len(data['val_captions'])} "
        f"validation captions of {len(features)} images, vocabulary "
        f"{len(data['idx_to_word'])}; loaded (built if absent) in {load_seconds:.1f} s",
        "- model: CaptioningRNN, vanilla RNN, W 256, H 512; adam 5e-3, lr_decay 0.98 "
        f"every {ROUND} iterations, batch 100",
        f"- training: {len(losses)} iterations "
        f"({len(losses) * 100 / len(data['train_captions']):.1f} epochs), "
        f"{cpu_seconds:.0f} CPU seconds ({wall_seconds:.0f} s wall clock)",
        f"- loss: first {losses[0]:.2f}, mean of the last 100 iterations "
        f"{np.mean(losses[-100:]):.2f}",
        f"- validation corpus BLEU-4 against 5 references: **{bleu:.3f}**",
        f"- greedy captions identical to one of the image's references: {exact:.1%}",
        "",
        "## Examples (validation images)",
        "",
        "| image | generated | a reference |",
        "|---|---|---|",
    ]
    for i in range(8):
        url = data["val_urls"][i].rsplit("/", 3)[-3:]
        lines.append(f"| {'/'.join(url)} | {hypotheses[i]} | {references[i][0]} |")
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
