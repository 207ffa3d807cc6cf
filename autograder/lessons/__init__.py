"""Every lesson's grading module, found by name: one module per lesson, named as the lesson's
assignment id without its number (`03_vanishing_gradients` -> `vanishing_gradients`; the learner
package's checks module and the course's test table have the same name).

A lesson module defines
    ASSIGNMENT  its assignment id (the folder of solutions/)
    SHIPS       the lesson modules whose answers ship with it (earlier_answers.py)
    GRADED      one `autograder.graded.Graded` entry per graded name, with its reference
    recorded()  (optional) {name: (inputs, context)}: the recorded cases of its visible tests
and nothing needs to be registered anywhere else.
"""
import importlib
import pkgutil

MODULES = [importlib.import_module(f"{__name__}.{info.name}")
           for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
LESSONS = {module.ASSIGNMENT: module for module in sorted(MODULES, key=lambda m: m.ASSIGNMENT)}
GRADED = {entry.name: entry for module in LESSONS.values() for entry in module.GRADED}
REFERENCE = {name: entry.reference for name, entry in GRADED.items()}


def short_name(module):
    """The lesson's one name: 'vanishing_gradients' for autograder.lessons.vanishing_gradients."""
    return module.__name__.rsplit(".", 1)[1]


def cases(name, seed=0):
    """Yield (description, args) of every hidden case of the graded function `name`."""
    return GRADED[name].cases(seed)
