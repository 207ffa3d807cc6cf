# nbgrader reads this file from the folder it is run in: run instructor commands from the
# repository root (`nbgrader generate_assignment 01_rnn_update`, `nbgrader autograde ...`).
# The real configuration lives with the rest of the grading side.
c = get_config()  # noqa: F821
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821
