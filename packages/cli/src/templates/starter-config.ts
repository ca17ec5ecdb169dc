/** The commented `countersign.yaml` that `countersign init` writes. */
export const STARTER_CONFIG = `# Countersign gateway configuration. Reference: docs/operations.md
# Every setting marked (env) can also come from the environment.

server:
  host: 127.0.0.1          # (env COUNTERSIGN_HOST)
  port: 8080               # (env COUNTERSIGN_PORT)
  public_url: http://localhost:8080   # how reviewers reach the gateway (env COUNTERSIGN_PUBLIC_URL)
  body_limit: 65536        # bytes; larger request bodies are refused with 413
  max_wait_seconds: 60     # longest long-poll an agent may ask for
  log_level: info

# Embedded SQLite in data_dir by default. For several replicas, PostgreSQL:
# storage:
#   url: postgres://countersign@db.internal/countersign   # (env DATABASE_URL)
data_dir: .countersign     # (env COUNTERSIGN_DATA_DIR)

# Reviewer-load figures (GET /v1/insights, the SOC 2 report; docs/fatigue.md):
insights:
  fast_approval_seconds: 10   # an approval this soon after notification counts as "fast"

# Who exists. Tokens are created with \`countersign token create --agent ID | --user ID\`.
directory:
  groups:
    - id: data-owners
    - id: security
    - id: sre-oncall
    - id: platform
  users:
    - id: alice
      email: alice@example.com
      groups: [data-owners]
    - id: bob
      email: bob@example.com
      groups: [data-owners, security]
    - id: carol
      email: carol@example.com
      groups: [sre-oncall]
    - id: dave
      email: dave@example.com
      groups: [platform]
    - id: admin
      email: admin@example.com
      admin: true
  agents:
    # Owners can never approve their agent's requests.
    - id: support-copilot
      owners: [dave]

# The policy file: reloaded when it changes or on SIGHUP; a broken edit keeps the last good one.
policy: policy.yaml
`;
