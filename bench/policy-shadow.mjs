// The cost a shadow policy adds to a submission: the live 100-rule policy's decision alone,
// against the live decision plus ShadowPolicy.compare() (the candidate's evaluation and the
// change classification) on the same input, interleaved so both see the same machine load.
// Prints one JSON line: {"name":"policy_shadow_100_rules","us_live":X,"us_live_and_shadow":Y,…}
// Run after `npx tsc -b`: node bench/policy-shadow.mjs
import { ShadowPolicy } from '../packages/server/dist/src/policy/shadow-policy.js';
import { candidate, inputs, policy } from './hundred-rule-policy.mjs';

const shadow = new ShadowPolicy(
  'candidate.yaml',
  () => candidate,
  (e) => {
    throw e;
  },
);
shadow.reload();

const N = 200_000;
const ROUNDS = 5;
let disagreements = 0;
const liveOnly = () => {
  for (let i = 0; i < N; i++) policy.evaluate(inputs[i % inputs.length]);
};
const withShadow = () => {
  for (let i = 0; i < N; i++) {
    const input = inputs[i % inputs.length];
    if (shadow.compare(input, policy.evaluate(input))) disagreements++;
  }
};
const time = (f) => {
  const start = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - start) / 1e3 / N;
};
liveOnly();
withShadow(); // warm-up
disagreements = 0;
const live = [];
const both = [];
for (let r = 0; r < ROUNDS; r++) {
  live.push(time(liveOnly));
  both.push(time(withShadow));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    name: 'policy_shadow_100_rules',
    us_live: round(median(live)),
    us_live_and_shadow: round(median(both)),
    us_added_by_shadow: round(median(both) - median(live)),
    disagreeing_share: round(disagreements / (N * ROUNDS)),
  }),
);
