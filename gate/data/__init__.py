"""Data files: formats, the hashing stream every read goes through, and the one reader."""
