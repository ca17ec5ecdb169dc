/** The policy `countersign init` writes and the demo runs: realistic, commented, fail-closed. */
export const STARTER_POLICY = `# Countersign policy. Reference: docs/policy.md
# Among all matching rules the most restrictive wins: deny > require_approval > allow.
# Nothing matched: the default decision below (deny: fail closed).
version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }

# Values at these paths never reach the audit log in clear: it stores a keyed HMAC instead
# (equal values still correlate). Reviewers still see them on the request itself.
redact: [params.password, params.secret, context.api_key]

rules:
  # Reads are fine when they cannot write. CEL regexes use RE2 syntax.
  - id: read-only-sql
    description: Read-only SQL runs without approval
    match: { action: db.query }
    when: '!params.sql.matches("(?i)\\\\b(insert|update|delete|drop|alter|grant|truncate|create)\\\\b")'
    decision: allow

  - id: small-export
    description: Exports of up to 10,000 rows are routine
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow

  - id: prod-large-export
    description: Large production exports need two data owners
    match: { action: db.export, environment: production }
    when: params.rows > 10000
    require_approval:
      from: [data-owners]
      quorum: 2
      timeout: 30m
      escalate: { after: 15m, to: [security] }
      justification: required

  - id: never-drop-prod
    match: { action: "db.ddl.*", environment: production }
    decision: deny
    reason: Agents never run DDL on production

  - id: prod-restart
    description: Production restarts need someone on call
    match: { action: k8s.rollout.restart, environment: production }
    require_approval: { from: [sre-oncall], timeout: 15m }

  - id: non-prod-restart
    match: { action: k8s.rollout.restart, environment: [staging, dev] }
    decision: allow

  - id: privilege-grant
    description: Granting a role needs security and the platform team
    match: { action: "iam.role.grant" }
    require_approval:
      from: [{ group: security, min: 1 }, { group: platform, min: 1 }]
      timeout: 1h
      justification: required

  - id: config-push
    description: Config pushes to production need one platform engineer
    match: { action: config.push, environment: production }
    require_approval: { from: [platform] }
`;
