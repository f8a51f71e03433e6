"""Benchmarks that print figures: AWS calls per operation (noise-free) and cold-start import cost (ratios)."""
