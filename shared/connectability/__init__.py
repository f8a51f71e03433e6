"""Connectability: first-party code shared by every Lambda function (shipped as SharedLayer)."""
