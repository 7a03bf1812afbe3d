"""Build tooling: notebooks and the student library from the reference library.

Nothing in here is shipped to students.
"""
