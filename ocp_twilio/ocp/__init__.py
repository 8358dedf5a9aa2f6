"""The Open Context Protocol side: context, plugins, registries, spec sync. Internal: the public
names are re-exported by ``ocp_twilio``."""
