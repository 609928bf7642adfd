"""The package's error hierarchy: every error a user can cause or fix derives
from :class:`CrysgnnZooError`, so the command line prints each as one line
(``-v`` for the traceback) and callers can catch them all at once.

Each subclass also derives from the built-in type it refines (``ValueError``,
``FileNotFoundError``, ``RuntimeError``), so ``except ValueError`` keeps working.
The classes live in the modules of their layer (data, train, hub, download);
this module holds only the root and the few that belong to no layer.
"""
from __future__ import annotations


class CrysgnnZooError(Exception):
    """Root of every named error of crysgnn-zoo."""


class ConfigError(CrysgnnZooError, ValueError):
    """A configuration value is out of range or not one of the allowed choices."""


class RunLockedError(CrysgnnZooError, RuntimeError):
    """An output folder is in use by another running process."""


class RunExistsError(CrysgnnZooError, FileExistsError):
    """An output path already holds something the user has (a finished run, an input file)."""


class UnknownNameError(CrysgnnZooError, KeyError):
    """A registry or table has no entry of that name; the message lists the choices."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class MissingExtraError(CrysgnnZooError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""
