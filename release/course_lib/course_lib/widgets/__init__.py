"""Interactive explorers for the notebooks, built with ipywidgets.

Each one falls back to a static matplotlib figure where widgets cannot render (a
notebook run by nbconvert or the autograder, or a script).
"""

import os


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
