// Ad-hoc timing of CompiledPolicy.evaluate() on a realistic 100-rule policy.
// Prints one JSON line: {"name":"policy_eval_100_rules","us_per_decision":X}
// Run after `npx tsc -b`: node bench/policy-eval.mjs
import { inputs, policy } from './hundred-rule-policy.mjs';

const N = 200_000;
const tally = { allow: 0, deny: 0, require_approval: 0 };
for (let i = 0; i < 20_000; i++) policy.evaluate(inputs[i % inputs.length]); // warm-up
const start = process.hrtime.bigint();
for (let i = 0; i < N; i++) tally[policy.evaluate(inputs[i % inputs.length]).decision]++;
const us = Number(process.hrtime.bigint() - start) / 1e3 / N;
if (process.argv.includes('--verbose')) {
  const traced = inputs.reduce((n, input) => n + policy.evaluate(input).trace.length, 0);
  console.error({ ...tally, mean_rules_traced: traced / inputs.length });
}
console.log(
  JSON.stringify({ name: 'policy_eval_100_rules', us_per_decision: Math.round(us * 100) / 100 }),
);
