"""MCP, one concept a module: ``tools`` (the tool definitions, no SDK needed), ``server`` (the
SDK's low-level server over an agent), ``pay_sessions`` (Pay sessions as resources) and
``prompts``; the transports ``stdio`` (with its answering read stream) and ``http`` (Streamable
HTTP, with ``origins`` and ``http_sessions``). All but ``tools`` need the ``mcp`` extra.
"""
