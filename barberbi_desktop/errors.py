"""Error types shared by every layer.

The CLI maps `InputError` to exit status 2 and prints its message as the one
sentence the user sees; anything else is an internal error (exit 1).
"""


class InputError(Exception):
    """Something the user gave us (a file, a database, an option) cannot be used.

    The message is a complete, plain sentence meant for a shop owner, naming the
    file, row and column where there is one.
    """
