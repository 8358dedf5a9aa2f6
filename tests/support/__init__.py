"""What the tests share besides fixtures (those are in tests/conftest.py): credentials, the Pay
calls, servers on 127.0.0.1, the files the tests read, and each suite's helpers."""
