"""The session types a run can be given (by the rules or by the runner); no heavy imports,
so the command line's help can name them at start-up."""

SESSION_TYPES = ("easy", "long", "threshold", "vo2", "x_element", "race")
