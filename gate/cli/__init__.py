"""The command line: `main` parses, calls one function of gate and renders its result (see main.py,
common.py and commands/)."""

from .main import main

__all__ = ["main"]
