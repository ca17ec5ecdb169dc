/**
 * Reads a rule's `notify` block and `step_up` key: where its approval requests are posted,
 * and whether approving needs the web UI.
 * @module
 */
import type { Node } from 'yaml';
import { isScalar } from 'yaml';
import type { ApprovalNotify } from './types.js';
import type { YamlReader } from './yaml-reader.js';

const NOTIFY_KEYS = ['slack'] as const;
const SLACK_KEYS = ['channels', 'dm'] as const;
/**
 * A Slack conversation id (`C…` public, `G…` private, `D…` direct) or a `#name` as Slack
 * allows names: lower case, digits, `-`, `_`, `.`, at most 80 characters.
 * https://docs.slack.dev/reference/methods/chat.postMessage (channel: "an encoded ID or name")
 */
const SLACK_CHANNEL = /^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{2,30})$/;

/** `notify: { slack: { channels: [C0123ABCD, "#approvals"], dm: true } }`. */
export function readNotify(r: YamlReader, node: Node, label: string): ApprovalNotify | undefined {
  const f = r.fields(node, `${label}: notify`, NOTIFY_KEYS);
  if (f === undefined) return undefined;
  const slackNode = f.get('slack');
  if (slackNode === undefined) return {};
  const s = r.fields(slackNode, `${label}: notify.slack`, SLACK_KEYS);
  if (s === undefined) return undefined;
  let ok = true;
  const channels: string[] = [];
  const channelsNode = s.get('channels');
  if (channelsNode !== undefined) {
    const items = r.stringList(channelsNode, `${label}: notify.slack.channels`);
    if (items === undefined) ok = false;
    for (const item of items ?? []) {
      if (!SLACK_CHANNEL.test(item.value)) {
        r.issue(
          item.node,
          `${label}: notify.slack.channels: "${item.value}" is not a Slack channel id (C0123ABCD) or #name`,
        );
        ok = false;
      } else if (channels.includes(item.value)) {
        r.issue(item.node, `${label}: notify.slack.channels lists "${item.value}" twice`);
        ok = false;
      } else channels.push(item.value);
    }
  }
  let dm = false;
  const dmNode = s.get('dm');
  if (dmNode !== undefined) {
    if (isScalar(dmNode) && typeof dmNode.value === 'boolean') dm = dmNode.value;
    else {
      r.issue(dmNode, `${label}: notify.slack.dm must be true or false`);
      ok = false;
    }
  }
  if (ok && channels.length === 0 && !dm) {
    r.issue(slackNode, `${label}: notify.slack needs channels, or dm: true`);
    ok = false;
  }
  return ok ? { slack: { channels, dm } } : undefined;
}

/** `step_up: web`, the only step-up there is. */
export function readStepUp(r: YamlReader, node: Node, label: string): 'web' | undefined {
  return r.oneOf(node, `${label}: step_up`, ['web'] as const);
}
