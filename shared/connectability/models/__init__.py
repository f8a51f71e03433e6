"""pydantic models: API input and output, manifests, queue messages."""
