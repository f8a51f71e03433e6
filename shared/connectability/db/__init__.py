"""Data access: PynamoDB models and the functions that read and write them, one module per aggregate."""
