"""Progress bars where a person watches, and nowhere else.

Training loops, downloads and batches report through `Progress`, which decides
where its bar goes:

- in a live Jupyter kernel (JupyterLab, Colab): tqdm's notebook bar, a widget
  that updates in place (through `tqdm.auto`);
- in a terminal: tqdm's text bar on stderr;
- while nbgrader runs a notebook (it sets NBGRADER_EXECUTION), and wherever no
  one watches (a pipe, a log, pytest): no bar at all. Anything on stderr inside
  a graded cell costs the cell its points, and a widget saved in an executed
  notebook reads as "HBox(...)" in its feedback.

Where no bar is shown, the loop's one line per interval is printed to stdout, so
logs keep their record of the loss. COURSE_LIB_PROGRESS=0 turns the bars off
(for instance when running notebooks with nbconvert), =1 forces them on.
"""

import os
import sys

from tqdm.auto import tqdm

from course_lib.widgets import in_live_kernel


def bars_shown():
    """True where a progress bar is seen: a live kernel or a terminal."""
    setting = os.environ.get("COURSE_LIB_PROGRESS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    return in_live_kernel() or sys.stderr.isatty()


class Progress:
    """A progress bar over `total` steps, or the printed lines standing in for it.

    Inputs:
    - total: the number of steps (iterations, bytes, ...).
    - description: the bar's label, e.g. "Training".
    - verbose: False shows nothing at all, neither bar nor lines.
    - kwargs: more tqdm options (unit, unit_scale, initial).

    Use as a context manager; `step()` after each step, `note(line, **values)` to
    show values beside the bar (or print `line` where there is no bar).
    """

    def __init__(self, total, description, verbose=True, **kwargs):
        self.verbose = verbose
        self.shown = verbose and bars_shown()
        self.bar = tqdm(
            total=total, desc=description, disable=not self.shown, **kwargs
        )

    def step(self, n=1):
        self.bar.update(n)

    def note(self, line, **values):
        """Numbers beside the bar, e.g. note("(Iteration 3) loss 2.1", loss=2.1)."""
        if self.shown:
            shown = {k: f"{v:.4g}" for k, v in values.items()}
            self.bar.set_postfix(shown, refresh=False)
        elif self.verbose:
            print(line, flush=True)

    def close(self):
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
