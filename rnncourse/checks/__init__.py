"""Friendly checks used by the visible tests: each explains a failure in the learner's terms.

One module per lesson, named as the lesson (its assignment id without the number); every
`check_<graded name>` function of every module is available here, as `checks.check_rnn_step`.
"""
import importlib
import pkgutil

from .common import CheckFailure

__all__ = ["CheckFailure"]
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in dir(_module):
        if _name.startswith("check_") and getattr(_module, _name).__module__ == _module.__name__:
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
del _info, _module, _name
