"""The rules of the product. No event shapes, no HTTP: callers, ids and pydantic models in, models out."""
