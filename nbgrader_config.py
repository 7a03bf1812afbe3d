# nbgrader's settings for this course. The course root is this folder: source/,
# release/, submitted/, autograded/, feedback/ and gradebook.db live beside it.
c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "course-kit"
c.CourseDirectory.root = __import__("os").path.dirname(__import__("os").path.abspath(__file__))

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
