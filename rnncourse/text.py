"""The text of lesson 06 and its characters as ids.

The text is a fixed extract of the Python 3.11 standard library's source (20 modules, 549,527
characters, 96 distinct characters), shipped in rnncourse/corpus/ with the Python Software
Foundation License it is redistributed under (PYTHON-LICENSE.txt); scripts/make_corpus.py says
how it was built. Nothing is downloaded. The last two modules (contextlib and collections) are
the validation split: a model never trains on them.
"""
import pathlib

import numpy as np

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
TEXT_FILE = CORPUS / "python_stdlib.txt"
LICENCE_FILE = CORPUS / "PYTHON-LICENSE.txt"
VALIDATION_START = "# ===== Lib/contextlib.py ====="


def load_text():
    """The whole shipped text (a str)."""
    return TEXT_FILE.read_text(encoding="ascii")


class Vocabulary:
    """The characters of a text, each with an id: ids follow the characters' sorted order, so
    the same text always gives the same ids. `chars` is the list of characters (V of them)."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self._ids = {c: i for i, c in enumerate(self.chars)}
        self._table = np.full(128, -1, dtype=np.int64)
        for c, i in self._ids.items():
            if ord(c) < 128:
                self._table[ord(c)] = i

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """The ids of a string's characters: an int64 array (len(text),). A character outside
        the vocabulary raises a ValueError that names it."""
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8) if text.isascii() else None
        if codes is not None:
            return self._table[codes]
        return np.array([self._ids[c] for c in text], dtype=np.int64)

    def decode(self, ids):
        """The string that a sequence of ids spells."""
        return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())


def train_validation(text):
    """(train, validation): the text before the validation modules, and those modules."""
    cut = text.index(VALIDATION_START)
    return text[:cut], text[cut:]


WORD = r"[A-Za-z_][A-Za-z0-9_]+"      # a name or an English word of two or more characters


def words(text):
    """The words of a text: runs of letters, digits and _ that start with a letter or _, two
    characters or more (single letters are words in any text, so they prove nothing)."""
    import re

    return re.findall(WORD, text)


def word_share(sample_text, known_text):
    """The share of sample_text's words (see `words`) that occur among known_text's words;
    0.0 for a sample without words."""
    found = words(sample_text)
    if not found:
        return 0.0
    known = set(words(known_text))
    return sum(word in known for word in found) / len(found)
