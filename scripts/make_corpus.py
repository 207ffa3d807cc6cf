"""Build rnncourse/corpus/python_stdlib.txt, the text of lesson 06 (a character-level LSTM).

The text is a fixed extract of the Python 3.11 standard library's own source: twenty pure-ASCII
modules, concatenated in the order below, each after a one-line header. The Python Software
Foundation License allows it to be redistributed with its notice, shipped beside it as
rnncourse/corpus/PYTHON-LICENSE.txt. The last two modules are the validation split (never
trained on). Run once by a maintainer (`python scripts/make_corpus.py`), never at run time: the
text is committed.
"""
import pathlib
import shutil
import sys
import sysconfig

MODULES = ["textwrap.py", "string.py", "fnmatch.py", "glob.py", "difflib.py", "bisect.py",
           "queue.py", "sched.py", "calendar.py", "dataclasses.py", "argparse.py",
           "configparser.py", "csv.py", "json/encoder.py", "json/decoder.py", "pprint.py",
           "reprlib.py", "abc.py",
           # the validation split: the last two modules
           "contextlib.py", "collections/__init__.py"]
HEADER = "# ===== Lib/{name} =====\n"
OUT = pathlib.Path(__file__).resolve().parent.parent / "rnncourse" / "corpus"


def main():
    if sys.version_info[:2] != (3, 11):
        sys.exit("the shipped extract is from Python 3.11; run this with a Python 3.11")
    lib = pathlib.Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for name in MODULES:
        text = (lib / name).read_text(encoding="ascii")
        parts.append(HEADER.format(name=name) + text.expandtabs(4).rstrip("\n") + "\n\n")
    (OUT / "python_stdlib.txt").write_text("".join(parts), encoding="ascii")
    licence = lib / "LICENSE.txt"
    if not licence.exists():
        licence = pathlib.Path("/usr/lib/python3.11/LICENSE.txt")
    shutil.copyfile(licence, OUT / "PYTHON-LICENSE.txt")
    print(f"{sys.version.split()[0]}: {sum(map(len, parts)):,} characters written to {OUT}")


if __name__ == "__main__":
    main()
