/** Exports need one data owner; restarts two distinct humans; some rules forbid standing. */
export const STANDING_POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: exports
    match: { action: db.export, environment: [production, staging] }
    require_approval:
      from: [data-owners]
      standing: { max_duration: 8h, max_uses: 50 }
  - id: restarts
    match: { action: k8s.rollout.restart }
    require_approval: { from: [data-owners], quorum: 2 }
  - id: no-standing
    match: { action: db.restore }
    require_approval: { from: [data-owners], standing: false }
`;
