"""Reference library of the captioning, network-visualization and GAN assignment.

Notation used in every docstring and shape comment of the kit:

    N  batch size            T  time steps (caption length)
    D  input dimension       H  hidden dimension
    V  vocabulary size       W  word-vector dimension
    E  embedding dimension   S, T  query and key lengths in attention

Exercises are functions and methods whose bodies the students write in notebook
cells; `course_lib.exercise` installs a student's version into this library so that
the provided code calls it.
"""

__version__ = "0.1.0"
