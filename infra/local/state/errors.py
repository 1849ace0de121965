"""What can go wrong with a state folder, in words that name the fix."""

from __future__ import annotations


class StateError(Exception):
    """The state folder cannot be used (in use, not writable, unreadable); says what to do."""


class UnreadableState(StateError):
    """The saved state is damaged or was written by another version; nothing was changed."""
