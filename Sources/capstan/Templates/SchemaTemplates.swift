// Generated from schemas/ by `.venv/bin/python Tests/cli/test_init_new.py --write-schema-templates`;
// Tests/cli/test_init_new.py fails while the two differ. Edit schemas/, then regenerate.

/// The manifest JSON Schemas as this binary validates them, which `capstan init` writes into
/// `.capstan/schemas/` of a new repository so that editors check manifests offline.
enum SchemaTemplates {
    static let manifestSchemas: [(name: String, contents: String)] = [
        ("manifest.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/manifest.schema.json",
  "title": "Capstan manifest",
  "description": "Any Capstan manifest (apiVersion capstan/v1); the kind picks the schema, so one modeline serves a file mixing kinds.",
  "type": "object",
  "required": ["apiVersion", "kind"],
  "properties": {
    "apiVersion": {"$ref": "common.schema.json#/$defs/apiVersion"},
    "kind": {
      "enum": ["Project", "Server", "Client", "Policy"],
      "description": "Project, Server, Client or Policy."
    }
  },
  "allOf": [
    {
      "if": {"required": ["kind"], "properties": {"kind": {"const": "Project"}}},
      "then": {"$ref": "project.schema.json"}
    },
    {
      "if": {"required": ["kind"], "properties": {"kind": {"const": "Server"}}},
      "then": {"$ref": "server.schema.json"}
    },
    {
      "if": {"required": ["kind"], "properties": {"kind": {"const": "Client"}}},
      "then": {"$ref": "client.schema.json"}
    },
    {
      "if": {"required": ["kind"], "properties": {"kind": {"const": "Policy"}}},
      "then": {"$ref": "policy.schema.json"}
    }
  ]
}

"""#),
        ("common.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/common.schema.json",
  "title": "Capstan shared definitions",
  "description": "Pieces shared by every Capstan manifest kind (apiVersion capstan/v1).",
  "$defs": {
    "dnsLabel": {
      "type": "string",
      "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
      "maxLength": 63,
      "description": "A DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.",
      "patternErrorMessage": "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit"
    },
    "apiVersion": {
      "const": "capstan/v1",
      "description": "Manifest format version. Always capstan/v1."
    },
    "scalar": {
      "type": ["string", "number", "boolean"],
      "description": "A string; numbers and booleans are taken as their literal text."
    },
    "labelKey": {
      "type": "string",
      "pattern": "^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$",
      "maxLength": 253,
      "description": "Letters, digits and . _ / -, starting and ending with a letter or digit, at most 253 characters."
    },
    "labels": {
      "type": "object",
      "description": "Identifying key/value pairs (Policy selectors match Client labels). Values at most 63 characters.",
      "propertyNames": {"$ref": "#/$defs/labelKey"},
      "additionalProperties": {
        "type": ["string", "number", "boolean"],
        "maxLength": 63,
        "description": "Label value (at most 63 characters); numbers and booleans are taken as their literal text."
      }
    },
    "annotations": {
      "type": "object",
      "description": "Free-form notes for people and tools; Capstan ignores them.",
      "propertyNames": {"$ref": "#/$defs/labelKey"},
      "additionalProperties": {"$ref": "#/$defs/scalar"}
    },
    "metadata": {
      "type": "object",
      "description": "Name and labels of this manifest.",
      "required": ["name"],
      "additionalProperties": false,
      "properties": {
        "name": {
          "$ref": "#/$defs/dnsLabel",
          "description": "Name of this object, unique per kind. A DNS label."
        },
        "labels": {"$ref": "#/$defs/labels"},
        "annotations": {"$ref": "#/$defs/annotations"}
      }
    },
    "envName": {
      "type": "string",
      "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
      "description": "An environment variable name: letters, digits and '_', not starting with a digit."
    },
    "envMap": {
      "type": "object",
      "propertyNames": {"$ref": "#/$defs/envName"},
      "additionalProperties": {"$ref": "#/$defs/scalar"}
    },
    "relativePath": {
      "type": "string",
      "minLength": 1,
      "pattern": "^(?!/)(?!(\\./)*\\.\\.(/|$))",
      "description": "A relative path that stays inside its base directory (no leading '/', no escaping '..').",
      "patternErrorMessage": "must be a relative path that stays inside the repository"
    }
  }
}

"""#),
        ("project.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/project.schema.json",
  "title": "Capstan Project",
  "description": "An MCP server's source in this repository, built into an image.",
  "type": "object",
  "required": ["apiVersion", "kind", "metadata", "spec"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": {"$ref": "common.schema.json#/$defs/apiVersion"},
    "kind": {
      "const": "Project",
      "description": "An MCP server's source in this repository, built into an image."
    },
    "metadata": {"$ref": "common.schema.json#/$defs/metadata"},
    "spec": {
      "type": "object",
      "description": "How to build the image.",
      "required": ["context"],
      "additionalProperties": false,
      "properties": {
        "context": {
          "$ref": "common.schema.json#/$defs/relativePath",
          "description": "Build context: a directory in the repository, relative to the repository root. Capstan never scans it for manifests."
        },
        "dockerfile": {
          "$ref": "common.schema.json#/$defs/relativePath",
          "description": "Dockerfile path, relative to the context and inside it.",
          "default": "Dockerfile"
        },
        "buildArgs": {
          "$ref": "common.schema.json#/$defs/envMap",
          "description": "Docker build arguments (ARG), NAME: value."
        },
        "target": {
          "type": "string",
          "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
          "description": "Multi-stage build target (a stage name in the Dockerfile)."
        }
      }
    }
  }
}

"""#),
        ("server.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/server.schema.json",
  "title": "Capstan Server",
  "description": "An MCP server that runs as a container.",
  "type": "object",
  "required": ["apiVersion", "kind", "metadata", "spec"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": {"$ref": "common.schema.json#/$defs/apiVersion"},
    "kind": {"const": "Server", "description": "An MCP server that runs as a container."},
    "metadata": {"$ref": "common.schema.json#/$defs/metadata"},
    "spec": {
      "type": "object",
      "description": "How to run the MCP server container.",
      "additionalProperties": false,
      "properties": {
        "project": {
          "$ref": "common.schema.json#/$defs/dnsLabel",
          "description": "Name of a Project in this repository whose image runs. Exactly one of project / image."
        },
        "image": {
          "type": "string",
          "pattern": "^(?:(?:(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*):[0-9]+|(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*)\\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])|localhost)/|(?![^/]*[.:][^/]*/))[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
          "description": "Image reference name[:tag][@sha256:<digest>], e.g. mcp/time:1.0 or registry.example.com:5000/team/tool@sha256:…. Exactly one of project / image.",
          "patternErrorMessage": "must be an image reference: lowercase name[:tag][@sha256:<64 hex>], optionally prefixed by host[:port]/"
        },
        "transport": {
          "enum": ["stdio", "http"],
          "default": "stdio",
          "description": "How the gateway talks to the server: stdio (attach to the container) or http (streamable HTTP on port)."
        },
        "port": {
          "type": "integer",
          "minimum": 1,
          "maximum": 65535,
          "description": "Container port of an http server. Required with transport http, not allowed with stdio."
        },
        "path": {
          "type": "string",
          "pattern": "^/",
          "default": "/mcp",
          "description": "HTTP path of the MCP endpoint (http only). Default /mcp."
        },
        "command": {
          "type": "array",
          "description": "Arguments passed to the image's entrypoint.",
          "items": {"$ref": "common.schema.json#/$defs/scalar"}
        },
        "env": {
          "$ref": "common.schema.json#/$defs/envMap",
          "description": "Environment variables, NAME: value. Each name only once across env and secrets."
        },
        "secrets": {
          "type": "array",
          "description": "Environment variables filled from the controller's secret store (git holds only the secret's name).",
          "items": {
            "type": "object",
            "required": ["env", "secret"],
            "additionalProperties": false,
            "properties": {
              "env": {
                "$ref": "common.schema.json#/$defs/envName",
                "description": "Environment variable to set."
              },
              "secret": {
                "$ref": "common.schema.json#/$defs/dnsLabel",
                "description": "Name of the secret in the controller's secret store."
              }
            }
          }
        },
        "resources": {
          "type": "object",
          "description": "Resource limits of the container.",
          "additionalProperties": false,
          "properties": {
            "cpus": {
              "type": "number",
              "exclusiveMinimum": 0,
              "maximum": 1024,
              "description": "CPU limit in cores, e.g. 0.5. Greater than 0, at most 1024."
            },
            "memory": {
              "description": "Memory limit: integer bytes, or a quantity like 256Mi, 1Gi, 512M. At least 6Mi.",
              "oneOf": [
                {"type": "integer", "minimum": 6291456},
                {
                  "type": "string",
                  "allOf": [
                    {
                      "pattern": "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)$",
                      "patternErrorMessage": "must be a quantity like 256Mi, 1Gi or 512M"
                    },
                    {
                      "pattern": "^(?:0*(?:(?:[1-9][0-9]{4,}|[7-9][0-9]{3}|6[2-9][0-9]{2}|61[5-9][0-9]|614[5-9])(?:\\.[0-9]+)?|6144(?:\\.[0-9]+)?)Ki|0*(?:(?:[1-9][0-9]{1,}|[7-9])(?:\\.[0-9]+)?|6(?:\\.[0-9]+)?)Mi|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[6-9][0-9]*|0059[0-9]*|0058[6-9][0-9]*|005859[4-9][0-9]*|0058593[8-9][0-9]*|00585937[6-9][0-9]*|005859375[0-9]*))Gi|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[6-9][0-9]*|000005[8-9][0-9]*|0000057[3-9][0-9]*|00000572[3-9][0-9]*|000005722[1-9][0-9]*|0000057220[5-9][0-9]*|00000572204[6-9][0-9]*|0000057220459[0-9]*|000005722045899[0-9]*|000005722045898[5-9][0-9]*|0000057220458984[4-9][0-9]*|00000572204589843[8-9][0-9]*|000005722045898437[6-9][0-9]*|0000057220458984375[0-9]*))Ti|0*(?:(?:[1-9][0-9]{4,}|[7-9][0-9]{3}|6[3-9][0-9]{2}|629[2-9])(?:\\.[0-9]+)?|6291\\.(?:[5-9][0-9]*|4[6-9][0-9]*|45[7-9][0-9]*|456[0-9]*))k|0*(?:(?:[1-9][0-9]{1,}|[7-9])(?:\\.[0-9]+)?|6\\.(?:[3-9][0-9]*|29[2-9][0-9]*|291[5-9][0-9]*|2914[6-9][0-9]*|29145[7-9][0-9]*|291456[0-9]*))M|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[7-9][0-9]*|006[3-9][0-9]*|00629[2-9][0-9]*|006291[5-9][0-9]*|0062914[6-9][0-9]*|00629145[7-9][0-9]*|006291456[0-9]*))G|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[7-9][0-9]*|000006[3-9][0-9]*|00000629[2-9][0-9]*|000006291[5-9][0-9]*|0000062914[6-9][0-9]*|00000629145[7-9][0-9]*|000006291456[0-9]*))T)$",
                      "patternErrorMessage": "must be at least 6Mi"
                    }
                  ]
                }
              ]
            },
            "pids": {
              "type": "integer",
              "minimum": 1,
              "description": "Maximum number of processes in the container."
            }
          }
        },
        "network": {
          "type": "string",
          "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
          "default": "none",
          "description": "none (default: no network), host, or the name of a Docker network. transport: http needs host (its default), so the gateway reaches the server on 127.0.0.1.",
          "examples": ["none", "host"]
        },
        "tools": {
          "type": "array",
          "uniqueItems": true,
          "description": "Tools this server must offer; Policy rules naming a tool without wildcards must pick one of them.",
          "items": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_.-]{1,128}$",
            "description": "A tool name; <server>__<tool> must fit in 128 characters."
          }
        },
        "timeout": {
          "type": "string",
          "pattern": "^[0-9]{1,7}(ms|s|m)$",
          "default": "60s",
          "description": "How long the gateway waits for one call to this server: 100ms to 1h, for example 30s."
        },
        "hardening": {
          "type": "object",
          "description": "Relaxations of the hardened defaults (read-only root filesystem, no-new-privileges, all capabilities dropped).",
          "additionalProperties": false,
          "properties": {
            "readOnlyRootFilesystem": {
              "type": "boolean",
              "default": true,
              "description": "Mount the root filesystem read-only (a small tmpfs /tmp stays writable). Default true."
            },
            "noNewPrivileges": {
              "type": "boolean",
              "default": true,
              "description": "Forbid gaining privileges (setuid binaries). Default true."
            },
            "capAdd": {
              "type": "array",
              "uniqueItems": true,
              "description": "Linux capabilities to add back (all are dropped by default), without the CAP_ prefix.",
              "items": {
                "type": "string",
                "pattern": "^[A-Z_]+$",
                "enum": [
                  "CHOWN",
                  "DAC_OVERRIDE",
                  "DAC_READ_SEARCH",
                  "FOWNER",
                  "FSETID",
                  "KILL",
                  "SETGID",
                  "SETUID",
                  "SETPCAP",
                  "LINUX_IMMUTABLE",
                  "NET_BIND_SERVICE",
                  "NET_BROADCAST",
                  "NET_ADMIN",
                  "NET_RAW",
                  "IPC_LOCK",
                  "IPC_OWNER",
                  "SYS_MODULE",
                  "SYS_RAWIO",
                  "SYS_CHROOT",
                  "SYS_PTRACE",
                  "SYS_PACCT",
                  "SYS_ADMIN",
                  "SYS_BOOT",
                  "SYS_NICE",
                  "SYS_RESOURCE",
                  "SYS_TIME",
                  "SYS_TTY_CONFIG",
                  "MKNOD",
                  "LEASE",
                  "AUDIT_WRITE",
                  "AUDIT_CONTROL",
                  "SETFCAP",
                  "MAC_OVERRIDE",
                  "MAC_ADMIN",
                  "SYSLOG",
                  "WAKE_ALARM",
                  "BLOCK_SUSPEND",
                  "AUDIT_READ",
                  "PERFMON",
                  "BPF",
                  "CHECKPOINT_RESTORE"
                ]
              }
            },
            "user": {
              "type": "string",
              "pattern": "^(?:[0-9]+(?::[0-9]+)?|[a-z_][a-z0-9_-]*)$",
              "description": "User to run as: uid[:gid] (e.g. \"1000:1000\") or a user name of the image.",
              "patternErrorMessage": "must be uid[:gid] or a user name"
            }
          }
        }
      },
      "oneOf": [
        {"required": ["project"], "description": "built from a Project"},
        {"required": ["image"], "description": "run from an image reference"}
      ],
      "if": {"required": ["transport"], "properties": {"transport": {"const": "http"}}},
      "then": {"required": ["port"], "properties": {"network": {"const": "host"}}},
      "else": {"properties": {"port": false, "path": false}}
    }
  },
  "$comment": "allOf: '<server>__<tool>' must fit in 128 characters, so a server name of length >= n allows tool names of at most 126 - n characters.",
  "allOf": [
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 1}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 125}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 2}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 124}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 3}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 123}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 4}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 122}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 5}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 121}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 6}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 120}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 7}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 119}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 8}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 118}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 9}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 117}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 10}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 116}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 11}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 115}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 12}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 114}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 13}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 113}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 14}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 112}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 15}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 111}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 16}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 110}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 17}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 109}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 18}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 108}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 19}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 107}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 20}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 106}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 21}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 105}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 22}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 104}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 23}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 103}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 24}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 102}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 25}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 101}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 26}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 100}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 27}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 99}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 28}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 98}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 29}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 97}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 30}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 96}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 31}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 95}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 32}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 94}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 33}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 93}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 34}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 92}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 35}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 91}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 36}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 90}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 37}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 89}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 38}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 88}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 39}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 87}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 40}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 86}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 41}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 85}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 42}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 84}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 43}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 83}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 44}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 82}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 45}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 81}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 46}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 80}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 47}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 79}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 48}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 78}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 49}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 77}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 50}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 76}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 51}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 75}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 52}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 74}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 53}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 73}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 54}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 72}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 55}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 71}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 56}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 70}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 57}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 69}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 58}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 68}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 59}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 67}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 60}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 66}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 61}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 65}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 62}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 64}}}}}}
    },
    {
      "if": {"properties": {"metadata": {"properties": {"name": {"minLength": 63}}}}},
      "then": {"properties": {"spec": {"properties": {"tools": {"items": {"maxLength": 63}}}}}}
    }
  ]
}

"""#),
        ("client.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/client.schema.json",
  "title": "Capstan Client",
  "description": "An LLM client identity that connects through the gateway.",
  "type": "object",
  "required": ["apiVersion", "kind", "metadata", "spec"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": {"$ref": "common.schema.json#/$defs/apiVersion"},
    "kind": {
      "const": "Client",
      "description": "An LLM client identity that connects through the gateway."
    },
    "metadata": {"$ref": "common.schema.json#/$defs/metadata"},
    "spec": {
      "type": "object",
      "description": "Which app this is and the hash of its token.",
      "required": ["app", "tokenHash"],
      "additionalProperties": false,
      "properties": {
        "app": {
          "enum": ["claude-desktop", "claude-code", "cursor", "vscode", "codex", "generic"],
          "description": "The client application (decides how its connection config is written)."
        },
        "tokenHash": {
          "type": "string",
          "pattern": "^sha256:[0-9a-f]{64}$",
          "description": "sha256:<64 lowercase hex> of the client's bearer token. The client holds the token; git holds only its hash.",
          "patternErrorMessage": "must be sha256: followed by 64 lowercase hex digits"
        }
      }
    }
  }
}

"""#),
        ("policy.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/policy.schema.json",
  "title": "Capstan Policy",
  "description": "Which clients may call which tools. Default is deny; deny wins over allow.",
  "type": "object",
  "required": ["apiVersion", "kind", "metadata", "spec"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": {"$ref": "common.schema.json#/$defs/apiVersion"},
    "kind": {
      "const": "Policy",
      "description": "Which clients may call which tools. Default is deny; deny wins over allow."
    },
    "metadata": {"$ref": "common.schema.json#/$defs/metadata"},
    "spec": {
      "type": "object",
      "description": "The clients this policy applies to and its rules.",
      "required": ["rules"],
      "additionalProperties": false,
      "anyOf": [{"required": ["clients"]}, {"required": ["selector"]}],
      "properties": {
        "clients": {
          "type": "array",
          "minItems": 1,
          "description": "Names of Clients this policy applies to.",
          "items": {"$ref": "common.schema.json#/$defs/dnsLabel"}
        },
        "selector": {
          "type": "object",
          "description": "Clients whose labels match.",
          "required": ["matchLabels"],
          "additionalProperties": false,
          "properties": {
            "matchLabels": {
              "$ref": "common.schema.json#/$defs/labels",
              "description": "Clients whose labels match all of these.",
              "minProperties": 1
            }
          }
        },
        "rules": {
          "type": "array",
          "minItems": 1,
          "description": "Rules; a call is allowed when some rule allows it and no rule denies it.",
          "items": {
            "type": "object",
            "required": ["server", "effect"],
            "anyOf": [{"required": ["tools"]}, {"required": ["prompts"]}, {"required": ["resources"]}],
            "additionalProperties": false,
            "properties": {
              "server": {
                "type": "string",
                "pattern": "^(\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$",
                "maxLength": 63,
                "description": "Name of a Server, or * for every server."
              },
              "tools": {
                "type": "array",
                "minItems": 1,
                "description": "Tool names or globs (* any run, ? one character).",
                "items": {"type": "string", "pattern": "^[A-Za-z0-9_.*?-]{1,128}$"}
              },
              "prompts": {
                "type": "array",
                "minItems": 1,
                "description": "Prompt names or globs; prompts are hidden unless a rule grants them.",
                "items": {"type": "string", "pattern": "^[A-Za-z0-9_.*?-]{1,128}$"}
              },
              "resources": {
                "type": "array",
                "minItems": 1,
                "description": "Resource URIs or URI globs; resources are hidden unless a rule grants them.",
                "items": {"type": "string", "pattern": "^[!-~]{1,2048}$"}
              },
              "effect": {
                "enum": ["allow", "deny"],
                "description": "allow or deny; deny wins over allow."
              }
            }
          }
        }
      }
    }
  }
}

"""#),
        ("capstan-config.schema.json", #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://capstan.dev/schemas/v1/capstan-config.schema.json",
  "title": "capstan.yaml",
  "description": "Repository settings for Capstan (optional file at the repository root; not a manifest).",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "root": {
      "$ref": "common.schema.json#/$defs/relativePath",
      "description": "Directory holding the manifests, relative to the repository root (default: the repository root)."
    },
    "instance": {
      "$ref": "common.schema.json#/$defs/dnsLabel",
      "description": "Ownership scope of this repository's containers (default capstan); containers are named <instance>-<server>."
    },
    "exclude": {
      "type": "array",
      "description": "Globs (*, **, ?) relative to the manifest root of YAML files that belong to other tools.",
      "items": {
        "type": "string",
        "minLength": 1,
        "pattern": "^(?!/)",
        "description": "A path glob relative to the manifest root, e.g. charts/** or **/*.helm.yaml."
      }
    },
    "maxContextSize": {
      "description": "The most a Project's build context may hold after .dockerignore (default 512Mi): integer bytes or a quantity like 512Mi, 2Gi.",
      "oneOf": [
        {
          "type": "integer",
          "minimum": 1
        },
        {
          "type": "string",
          "pattern": "^(?:(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|0009[8-9][0-9]*|00097[7-9][0-9]*|000976[6-9][0-9]*|0009765[7-9][0-9]*|00097656[3-9][0-9]*|000976562[6-9][0-9]*|0009765625[0-9]*))Ki|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[1-9][0-9]*|0000009[6-9][0-9]*|00000095[4-9][0-9]*|000000953[7-9][0-9]*|0000009536[8-9][0-9]*|00000095367[5-9][0-9]*|000000953674[4-9][0-9]*|0000009536743[2-9][0-9]*|00000095367431[7-9][0-9]*|000000953674316[5-9][0-9]*|0000009536743164[1-9][0-9]*|00000095367431640[7-9][0-9]*|000000953674316406[3-9][0-9]*|0000009536743164062[6-9][0-9]*|00000095367431640625[0-9]*))Mi|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[1-9][0-9]*|000000[1-9][0-9]*|0000000[1-9][0-9]*|00000000[1-9][0-9]*|0000000009[4-9][0-9]*|00000000093[2-9][0-9]*|000000000931[4-9][0-9]*|0000000009313[3-9][0-9]*|00000000093132[3-9][0-9]*|000000000931322[6-9][0-9]*|0000000009313225[8-9][0-9]*|00000000093132257[5-9][0-9]*|000000000931322574[7-9][0-9]*|0000000009313225746[2-9][0-9]*|00000000093132257461[6-9][0-9]*|000000000931322574615[5-9][0-9]*|0000000009313225746154[8-9][0-9]*|000000000931322574615479[0-9]*|000000000931322574615478[6-9][0-9]*|0000000009313225746154785[2-9][0-9]*|00000000093132257461547851[6-9][0-9]*|000000000931322574615478515[7-9][0-9]*|0000000009313225746154785156[3-9][0-9]*|00000000093132257461547851562[6-9][0-9]*|000000000931322574615478515625[0-9]*))Gi|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[1-9][0-9]*|000000[1-9][0-9]*|0000000[1-9][0-9]*|00000000[1-9][0-9]*|000000000[1-9][0-9]*|0000000000[1-9][0-9]*|00000000000[1-9][0-9]*|0000000000009[1-9][0-9]*|000000000000909[5-9][0-9]*|00000000000090949[5-9][0-9]*|000000000000909494[8-9][0-9]*|0000000000009094947[1-9][0-9]*|00000000000090949470[2-9][0-9]*|000000000000909494701[8-9][0-9]*|0000000000009094947017[8-9][0-9]*|00000000000090949470177[3-9][0-9]*|0000000000009094947017729[3-9][0-9]*|000000000000909494701772929[0-9]*|000000000000909494701772928[3-9][0-9]*|0000000000009094947017729282[4-9][0-9]*|00000000000090949470177292823[8-9][0-9]*|0000000000009094947017729282379[2-9][0-9]*|00000000000090949470177292823791[6-9][0-9]*|000000000000909494701772928237915[1-9][0-9]*|0000000000009094947017729282379150[4-9][0-9]*|000000000000909494701772928237915039[1-9][0-9]*|0000000000009094947017729282379150390[7-9][0-9]*|00000000000090949470177292823791503906[3-9][0-9]*|000000000000909494701772928237915039062[6-9][0-9]*|0000000000009094947017729282379150390625[0-9]*))Ti|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[2-9][0-9]*|001[0-9]*))k|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[2-9][0-9]*|000001[0-9]*))M|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[1-9][0-9]*|000000[1-9][0-9]*|0000000[1-9][0-9]*|00000000[2-9][0-9]*|000000001[0-9]*))G|(?:0*[1-9][0-9]*(?:\\.[0-9]+)?|0+\\.(?:[1-9][0-9]*|0[1-9][0-9]*|00[1-9][0-9]*|000[1-9][0-9]*|0000[1-9][0-9]*|00000[1-9][0-9]*|000000[1-9][0-9]*|0000000[1-9][0-9]*|00000000[1-9][0-9]*|000000000[1-9][0-9]*|0000000000[1-9][0-9]*|00000000000[2-9][0-9]*|000000000001[0-9]*))T)$",
          "patternErrorMessage": "must be a quantity of at least 1 byte, like 512Mi or 2Gi"
        }
      ]
    }
  }
}

"""#),
    ]
}
