"""HTTP and Twilio's conventions: dispatch, retries, hosts and credential scope, credentials,
transports, JSON bodies. Internal: the public names are re-exported by ``ocp_twilio``."""
