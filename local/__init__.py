"""The local stack: moto's server, an API Gateway emulation and queue pollers, all wired from template.yaml."""
