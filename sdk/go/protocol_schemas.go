package latch

// The protocol's JSON Schemas, as in packages/protocol/src/schemas (manifest.ts, messages.ts).

// manifestSchemaJSON is manifest.schema.json: Serve checks the manifest against it before
// answering anything, so that a manifest the host would refuse fails at once, every problem named.
const manifestSchemaJSON = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "name", "version", "protocolVersion", "command", "caseTypes", "caseFields", "config", "actions"],
  "properties": {
    "id": { "type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$" },
    "name": { "type": "string", "minLength": 1, "maxLength": 200 },
    "description": { "type": "string", "maxLength": 2000 },
    "version": { "type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.+-]+)?$" },
    "protocolVersion": { "const": "1" },
    "command": { "type": "array", "minItems": 1, "items": { "type": "string", "minLength": 1 } },
    "caseTypes": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "caseFields": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "config": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "description", "required", "secret"],
        "properties": {
          "name": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,62}$" },
          "description": { "type": "string", "maxLength": 500 },
          "required": { "type": "boolean" },
          "secret": { "type": "boolean" }
        }
      }
    },
    "actions": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "title", "inputSchema"],
        "properties": {
          "name": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,62}$" },
          "title": { "type": "string", "minLength": 1, "maxLength": 200 },
          "description": { "type": "string", "maxLength": 2000 },
          "inputSchema": { "type": "object" },
          "outputSchema": { "type": "object" },
          "timeoutMs": { "type": "integer", "minimum": 1, "maximum": 3600000 }
        }
      }
    }
  }
}`

const caseContextSchemaJSON = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "type", "typeVersion", "status", "priority", "queue", "fields"],
  "properties": {
    "id": { "type": "string", "minLength": 1 },
    "type": { "type": "string", "minLength": 1 },
    "typeVersion": { "type": "integer", "minimum": 1 },
    "status": { "type": "string", "minLength": 1 },
    "priority": { "type": "string", "minLength": 1 },
    "queue": { "type": ["string", "null"] },
    "fields": { "type": "object" }
  }
}`

// Params are checked against these before a handler runs; a mismatch answers -32602.
var (
	manifestValidator         = mustCompile(manifestSchemaJSON)
	initializeParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["protocolVersion", "host"],
  "properties": {
    "protocolVersion": { "type": "string", "minLength": 1 },
    "host": {
      "type": "object",
      "additionalProperties": false,
      "required": ["name", "version"],
      "properties": { "name": { "type": "string", "minLength": 1 }, "version": { "type": "string", "minLength": 1 } }
    }
  }
}`)
	configureParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["config", "secrets"],
  "properties": {
    "config": { "type": "object" },
    "secrets": { "type": "object", "additionalProperties": { "type": "string" } }
  }
}`)
	listParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["case"],
  "properties": { "case": ` + caseContextSchemaJSON + ` }
}`)
	executeParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["requestId", "idempotencyKey", "action", "input", "case", "attempt"],
  "properties": {
    "requestId": { "type": "string", "minLength": 1 },
    "idempotencyKey": { "type": "string", "minLength": 1 },
    "action": { "type": "string", "minLength": 1 },
    "input": true,
    "case": ` + caseContextSchemaJSON + `,
    "attempt": { "type": "integer", "minimum": 1 }
  }
}`)
	reconcileParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["requestId", "idempotencyKeys", "action", "input", "case"],
  "properties": {
    "requestId": { "type": "string", "minLength": 1 },
    "idempotencyKeys": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "action": { "type": "string", "minLength": 1 },
    "input": true,
    "case": ` + caseContextSchemaJSON + `
  }
}`)
)

var (
	contextParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["caseId", "caseType", "fields"],
  "properties": {
    "caseId": { "type": "string", "minLength": 1 },
    "caseType": { "type": "string", "minLength": 1 },
    "fields": { "type": "object" }
  }
}`)
	contextResultValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["facts", "fetchedAt"],
  "properties": {
    "facts": {
      "type": "array",
      "maxItems": 50,
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["label", "value"],
        "properties": {
          "label": { "type": "string", "minLength": 1, "maxLength": 100 },
          "value": { "type": "string", "maxLength": 500 },
          "kind": { "enum": ["text", "amount", "id", "status", "time"] }
        }
      }
    },
    "summary": { "type": "string", "minLength": 1, "maxLength": 300 },
    "fetchedAt": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$" }
  }
}`)
)

var (
	classifyParamsValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": [
    "caseId",
    "text",
    "fields",
    "caseTypes"
  ],
  "properties": {
    "caseId": {
      "type": "string",
      "minLength": 1
    },
    "text": {
      "type": "string",
      "maxLength": 100000
    },
    "fields": {
      "type": "object"
    },
    "caseTypes": {
      "type": "array",
      "minItems": 1,
      "maxItems": 100,
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "key",
          "title",
          "queues",
          "priorities"
        ],
        "properties": {
          "key": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100
          },
          "title": {
            "type": "string",
            "maxLength": 200
          },
          "queues": {
            "type": "array",
            "maxItems": 200,
            "items": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          },
          "priorities": {
            "type": "array",
            "maxItems": 200,
            "items": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          },
          "intents": {
            "type": "array",
            "maxItems": 200,
            "items": {
              "type": "string",
              "minLength": 1,
              "maxLength": 100
            }
          }
        }
      }
    }
  }
}`)
	classifyResultValidator = mustCompile(`{
  "type": "object",
  "additionalProperties": false,
  "required": [
    "confidence",
    "explanation",
    "model"
  ],
  "properties": {
    "caseType": {
      "type": "string",
      "minLength": 1,
      "maxLength": 100
    },
    "queue": {
      "type": "string",
      "minLength": 1,
      "maxLength": 100
    },
    "priority": {
      "type": "string",
      "minLength": 1,
      "maxLength": 100
    },
    "intent": {
      "type": "string",
      "minLength": 1,
      "maxLength": 100
    },
    "confidence": {
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "explanation": {
      "type": "array",
      "maxItems": 20,
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "feature",
          "weight"
        ],
        "properties": {
          "feature": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100
          },
          "weight": {
            "type": "number"
          }
        }
      }
    },
    "model": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "id",
        "version"
      ],
      "properties": {
        "id": {
          "type": "string",
          "minLength": 1,
          "maxLength": 100
        },
        "version": {
          "type": "string",
          "minLength": 1,
          "maxLength": 100
        }
      }
    }
  }
}`)
)

func mustCompile(schema string) *Validator {
	v, err := CompileSchemaJSON([]byte(schema))
	if err != nil {
		panic(err)
	}
	return v
}
