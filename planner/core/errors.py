"""Every error delight raises for a user to read.

Library code raises these; only the CLI turns them into ``Error: ...`` lines.
Each message is one line that names the thing and, where there is one, the fix.
"""


class DelightError(Exception):
    """Base class: a problem a user can fix; its message is shown as is."""


class DatabaseError(DelightError):
    """The database is missing, corrupt, locked, unreachable or of another version."""


class SchemaOutOfDate(DatabaseError):
    """The database's schema is older than this version of delight."""


class SchemaTooNew(DatabaseError):
    """The database was written by a newer version of delight."""


class NotFound(DelightError):
    """A customer, gesture or week that does not exist."""


class RulesError(DelightError):
    """A rules file that cannot be read, parsed or type-checked."""


class InputError(DelightError):
    """A value given by the user (option, date, week, file) that cannot be used."""


class PrintoutError(DelightError):
    """A printout that cannot be made (font missing, unwritable file)."""


class RejectedImport(InputError):
    """A file with bad rows, imported without --skip-bad: nothing was written; ``details`` lists the rows."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = details


class TemplateError(DelightError):
    """A template file that cannot be read or parsed, or a template the tone check blocks."""


class LexiconError(DelightError):
    """A tone lexicon file that cannot be read or parsed, or a pattern that does not compile."""


class BatchRejected(InputError):
    """Several ids given at once, some of them bad: nothing was done; ``details`` lists each bad one."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = details


class LogRejected(BatchRejected):
    """A batch of log entries (command or file) with bad ones: nothing was logged; ``details`` lists each."""


def refuse_batch(problems: list[str], count: int, things: str, done: str) -> None:
    """Stop a batch of ``count`` ids if any has a problem: one id's problem as it is, several listed
    (``things`` names them in the plural, ``done`` what was not done to them)."""
    if not problems:
        return
    if count == 1:
        raise InputError(problems[0])
    raise BatchRejected(
        f"nothing was {done}: {len(problems)} of {count} {things} cannot be {done} (listed above)", problems
    )


class OutputFileError(DelightError):
    """A file delight will not or cannot write: the open database, the file being read, a file of
    another kind, a folder that does not exist, a full disk."""


class AccessDenied(DelightError):
    """A sign-in or request refused: wrong name or password, a locked or disabled account, too small a role."""


class SignInRefused(AccessDenied):
    """A sign-in refused: ``reason`` is "wrong", "locked" or "disabled"; ``minutes``, how long a lock lasts."""

    def __init__(self, message: str, reason: str, minutes: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.minutes = minutes
