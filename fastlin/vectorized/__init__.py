"""The vectorized tier: whole-array NumPy, what a careful NumPy user writes."""
