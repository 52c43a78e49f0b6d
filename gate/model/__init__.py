"""What users write: descriptors and locks, requests, and the safe loading of documents."""
