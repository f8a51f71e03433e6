"""Operator commands that work against AWS as well as the local stack."""
