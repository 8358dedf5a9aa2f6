"""Sends that reach a person (createMessage, createCall): never made twice by accident."""
