"""The instructor's commands: `python -m autograder grade ASSIGNMENT [SUBMISSIONS] [--jobs N]`."""
import sys

# see autograder/shard.py: an optional import of jsonschema that costs about 2 s and is never used
sys.modules.setdefault("rfc3987_syntax", None)

COMMANDS = {"grade": "autograder.grade"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m autograder {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    import importlib

    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
