"""Facts about datasets. Each module returns plain data; facts never decide."""
