"""Operation specs: the model, the project's YAML format, OpenAPI import, JSON Schema conversion,
spec sources and their cache. Internal: the public names are re-exported by ``ocp_twilio``."""
