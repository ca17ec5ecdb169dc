// The policy the benchmark gateway runs: `bench.*` with few rows is allowed at once.
export const BENCH_POLICY = `version: 1
rules:
  - id: bench-allow
    match: { action: "bench.*" }
    when: params.rows <= 10000
    decision: allow
  - id: bench-prod
    match: { action: "bench.*", environment: production }
    when: params.rows > 10000
    require_approval: { from: [reviewers], quorum: 2 }
  - id: bench-approve
    match: { action: latency.approve }
    require_approval: { from: [reviewers], quorum: 1 }
`;
