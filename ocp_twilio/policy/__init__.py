"""The operator's policy: rules, the check every call passes, approval and the audit record.
Internal; the public names are re-exported by ``ocp_twilio``."""
