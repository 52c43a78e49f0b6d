"""gate: a policy-as-code gatekeeper for ML training data."""

__version__ = "0.1.0"
