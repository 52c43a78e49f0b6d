"""One module per command: ``add(subparsers)`` declares its arguments and sets ``run``, which calls one
function of gate and renders what it returns."""

from . import access, audit, check, evaluate, keygen, manifest, policy, report, scan, seal

COMMANDS = (check, access, scan, audit, manifest, seal, keygen, report, evaluate, policy)
