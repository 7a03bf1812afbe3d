"""Interactive explorers for the notebooks, built with ipywidgets.

Every explorer is called the same way, `xxx_explorer(..., interactive=None)`, and
`choose` decides what it returns: sliders and menus in a live Jupyter kernel
(JupyterLab, Colab), a static matplotlib figure where widgets cannot render (a
notebook run by nbconvert or the autograder, its feedback HTML, a script). Either
shows when it is the last value of a notebook cell.
"""

import os
import sys


def in_live_kernel():
    """True in a Jupyter kernel that is not being run by the autograder."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def enable_colab_widgets():
    """Let Colab render ipywidgets 8: its built-in widget manager speaks an older
    protocol, and Colab's custom manager must be switched on once per session.
    Does nothing outside Colab."""
    if "google.colab" not in sys.modules:
        return
    from google.colab import output

    output.enable_custom_widget_manager()


def choose(interactive, widget, figure):
    """`widget()` where widgets render, `figure()` elsewhere.

    interactive: True for the widget, False for the figure, None (the default of
    every explorer) for the widget only in a live kernel that the autograder is
    not running.
    """
    if interactive is None:
        interactive = in_live_kernel()
    if interactive:
        enable_colab_widgets()
        return widget()
    return figure()


def new_figure(figsize, **kwargs):
    """A matplotlib Figure that a notebook shows once, as a cell's value.

    Made through pyplot, which sets up a notebook's display of figures (a bare
    Figure made before any pyplot figure shows as text only), and closed at once,
    so that a later plt.show() does not draw it a second time.
    """
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=figsize, **kwargs)
    plt.close(figure)
    return figure
