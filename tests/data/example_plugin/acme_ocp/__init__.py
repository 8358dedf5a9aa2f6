"""An example OCP API plugin: Acme's shipping API, described in YAML, loaded by ocp_twilio."""
