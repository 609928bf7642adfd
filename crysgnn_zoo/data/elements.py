"""Which elements the package supports."""

MAX_Z = 103  # Lr: the last element in the jarvis-tools element table
