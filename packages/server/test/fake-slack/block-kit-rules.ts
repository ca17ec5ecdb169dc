/**
 * Block Kit's rules as Slack enforces them, for the fake Web API: a message or view that breaks
 * one is answered `{ok: false, error: 'invalid_blocks'}` with the reasons in
 * `response_metadata.messages`, as Slack does. Limits from
 * https://docs.slack.dev/reference/block-kit/blocks (section, header, context, actions, input),
 * .../composition-objects/text-object and confirmation-dialog-object, and
 * .../block-elements/button-element. Lengths are counted in UTF-16 units (the stricter count).
 */
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function blockErrors(blocks: unknown, surface: 'message' | 'modal'): string[] {
  const errors: string[] = [];
  const err = (path: string, msg: string): void => {
    errors.push(`[ERROR] ${msg} [json-pointer:${path}]`);
  };
  if (!Array.isArray(blocks)) return ['[ERROR] blocks must be an array [json-pointer:/blocks]'];
  const max = surface === 'message' ? 50 : 100;
  if (blocks.length > max) err('/blocks', `no more than ${max} items allowed`);

  const text = (v: unknown, path: string, max: number, only?: 'plain_text' | 'mrkdwn'): void => {
    if (!isObj(v)) return err(path, 'must be a text object');
    if (v.type !== 'plain_text' && v.type !== 'mrkdwn')
      return err(`${path}/type`, 'must be plain_text or mrkdwn');
    if (only && v.type !== only) err(`${path}/type`, `must be ${only}`);
    if (typeof v.text !== 'string' || v.text.length < 1)
      return err(`${path}/text`, 'must be at least 1 character');
    if (v.text.length > max) err(`${path}/text`, `must be less than ${max + 1} characters`);
    if ('emoji' in v && v.type !== 'plain_text')
      err(`${path}/emoji`, 'emoji is only allowed on plain_text');
    if ('verbatim' in v && v.type !== 'mrkdwn')
      err(`${path}/verbatim`, 'verbatim is only allowed on mrkdwn');
    for (const k of Object.keys(v)) {
      if (!['type', 'text', 'emoji', 'verbatim'].includes(k))
        err(`${path}/${k}`, 'unknown property');
    }
  };
  const id = (v: unknown, path: string) => {
    if (v === undefined) return;
    if (typeof v !== 'string' || v.length < 1 || v.length > 255)
      err(path, 'must be 1 to 255 characters');
  };
  const button = (b: Json, path: string): void => {
    text(b.text, `${path}/text`, 75, 'plain_text');
    id(b.action_id, `${path}/action_id`);
    if (b.url !== undefined && (typeof b.url !== 'string' || b.url.length > 3000))
      err(`${path}/url`, 'must be at most 3000 characters');
    if (b.value !== undefined && (typeof b.value !== 'string' || b.value.length > 2000))
      err(`${path}/value`, 'must be at most 2000 characters');
    if (b.confirm !== undefined) {
      const c = b.confirm;
      if (!isObj(c)) return err(`${path}/confirm`, 'must be an object');
      text(c.title, `${path}/confirm/title`, 100, 'plain_text');
      text(c.text, `${path}/confirm/text`, 300, 'plain_text');
      text(c.confirm, `${path}/confirm/confirm`, 30, 'plain_text');
      text(c.deny, `${path}/confirm/deny`, 30, 'plain_text');
    }
  };

  blocks.forEach((b: unknown, i): void => {
    const path = `/blocks/${i}`;
    if (!isObj(b)) return err(path, 'must be an object');
    id(b.block_id, `${path}/block_id`);
    switch (b.type) {
      case 'header':
        return text(b.text, `${path}/text`, 150, 'plain_text');
      case 'section': {
        if (b.text === undefined && b.fields === undefined)
          return err(path, 'must have text or fields');
        if (b.text !== undefined) text(b.text, `${path}/text`, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10)
            return err(`${path}/fields`, 'no more than 10 items allowed');
          b.fields.forEach((f: unknown, j) => text(f, `${path}/fields/${j}`, 2000));
        }
        return;
      }
      case 'context': {
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) {
          return err(`${path}/elements`, 'must have 1 to 10 items');
        }
        return b.elements.forEach((e: unknown, j) => text(e, `${path}/elements/${j}`, 3000));
      }
      case 'actions': {
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 25) {
          return err(`${path}/elements`, 'must have 1 to 25 items');
        }
        return b.elements.forEach((e: unknown, j): void => {
          if (!isObj(e) || e.type !== 'button')
            return err(`${path}/elements/${j}`, 'unsupported element');
          button(e, `${path}/elements/${j}`);
        });
      }
      case 'input': {
        if (surface !== 'modal') return err(path, 'input blocks are only allowed in modals');
        text(b.label, `${path}/label`, 2000, 'plain_text');
        const e = b.element;
        if (!isObj(e)) return err(`${path}/element`, 'required');
        id(e.action_id, `${path}/element/action_id`);
        if (typeof e.max_length === 'number' && e.max_length > 3000)
          err(`${path}/element/max_length`, 'must be at most 3000');
        return;
      }
      case 'divider':
        return;
      default:
        return err(`${path}/type`, 'unsupported block type');
    }
  });
  return errors;
}

/** A modal view's own fields (https://docs.slack.dev/reference/views/modal-views). */
export function viewErrors(view: unknown): string[] {
  if (!isObj(view)) return ['[ERROR] view must be an object [json-pointer:/view]'];
  const errors = blockErrors(view.blocks, 'modal').map((e) =>
    e.replace('[json-pointer:', '[json-pointer:/view'),
  );
  for (const k of ['title', 'submit', 'close'] as const) {
    const t = view[k];
    if (t === undefined && k !== 'title') continue;
    if (
      !isObj(t) ||
      t.type !== 'plain_text' ||
      typeof t.text !== 'string' ||
      t.text.length < 1 ||
      t.text.length > 24
    ) {
      errors.push(`[ERROR] must be plain_text of 1 to 24 characters [json-pointer:/view/${k}]`);
    }
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) {
    errors.push('[ERROR] must be at most 3000 characters [json-pointer:/view/private_metadata]');
  }
  return errors;
}
