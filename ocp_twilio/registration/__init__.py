"""Registering an API: its options, its credentials, its tools and what runs them."""
