"""What the training rules refuse, in words a user can be shown."""

from dataclasses import dataclass


@dataclass
class Conflict:
    #: "email", "staff_number", "organisation" or "identifiers" (both email and staff number).
    field: str
    message: str


class TrainingError(ValueError):
    """A change the rules refuse; the message is safe to show to a user, beside ``field``."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AlreadyRecorded(TrainingError):
    def __init__(self, completion):
        super().__init__("This completion is already recorded")
        self.completion = completion


class PersonConflict(TrainingError):
    """The identifiers given point at different people, or at someone in another organisation."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__("; ".join(c.message for c in conflicts))
        self.conflicts = conflicts
