"""Hidden tests: what the autograder runs in the notebooks' test cells.

This package never reaches students. Each notebook has a module of graders, one
function per test cell; a grader finds the student's implementation, checks it on
inputs drawn for that student against a private copy of the reference library, prints
what passed and what failed (never reference values or test code), and returns the
cell's score for nbgrader's partial credit.
"""
