"""The grading side of the course: the reference implementation, the hidden checks that compare
learners' functions with it, and the instructor's tools. Never shipped to learners."""
