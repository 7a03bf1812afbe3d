"""Interactive explorers for the notebooks, built with ipywidgets.

Each one falls back to a static matplotlib figure where widgets cannot render (a
notebook run by nbconvert or the autograder, or a script).
"""
