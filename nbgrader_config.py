# nbgrader's settings for this course. The course root is this folder: source/,
# release/, submitted/, autograded/, feedback/ and gradebook.db live beside it.
import os

c = get_config()  # noqa: F821  (provided by nbgrader)

# One thread per notebook kernel. Kernels inherit this process's environment; a
# grader runs kernels side by side, and on a busy machine several BLAS or PyTorch
# threads per kernel wait on each other and run many times slower than one.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

c.CourseDirectory.course_id = "course-kit"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# The student build of the library lives in release/course_lib; a copy inside a
# submission must never shadow the grader's library, so it is not copied.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "course_lib"]

# What a student sees in place of the reference solution.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"Write your code here, then run the cell.\")"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Training cells take longer than nbgrader's 30 s default.
c.Execute.timeout = 300

# A cell a student deleted comes back, so its points are graded, not lost.
c.OverwriteCells.add_missing_cells = True

# Feedback shows each test cell's verdicts, never the hidden tests' code: nbgrader
# would otherwise print the restored hidden region in the feedback HTML, and an
# error's traceback would quote it.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "course_lib.tooling.feedback.ShortTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
