"""Payment progress: webhook signatures, the StatusCallback receiver, progress built from
callbacks, progress stores, and the progress tools. Internal: the public names are re-exported by
``ocp_twilio``."""
