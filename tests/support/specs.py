"""Specs the tests write out: one of the project's YAML format, one of Twilio's OpenAPI shape."""

from __future__ import annotations

# A spec of the project's format with what the Payments specs lack: a free-text path segment
# (to see quoting at work) and array arguments (repeated form and query pairs).
THINGS_SPEC = """
api: twilio
operations:
  - name: updateThing
    method: POST
    path: /v1/Things/{Name}.json
    parameters:
      - {name: Name, in: path, required: true, schema: {type: string}}
      - {name: Tag, in: query, schema: {type: array, items: {type: string}}}
      - {name: Color, in: body, schema: {type: array, items: {type: string}}}
      - {name: Count, in: body, schema: {type: integer}}
    response: {status: 200, schema: {type: object}}
"""

# An imported UpdatePayments of the same service as the curated one, without its rules.
IMPORTED_PAYMENTS = {
    "openapi": "3.0.1",
    "paths": {
        "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Payments/{Sid}.json": {
            "parameters": [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in ("AccountSid", "CallSid", "Sid")
            ],
            "post": {
                "operationId": "UpdatePayments",
                "responses": {"202": {"description": "Accepted"}},
            },
            "get": {"operationId": "FetchPayments", "responses": {"200": {"description": "OK"}}},
        }
    },
}
