"""One exception type for everything a learner can fix, with the fix in its message."""


class WorkshopError(Exception):
    """A problem the learner can fix; ``str(error)`` says what happened and what to do."""
