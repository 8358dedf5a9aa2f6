"""Tools built from specs: the Tool, argument encoding, validation, formats, naming, index,
search and selection. Internal: the public names are re-exported by ``ocp_twilio``."""
