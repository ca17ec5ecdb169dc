import { createRequire } from 'node:module';
import MarkdownIt from 'markdown-it';
import type * as AdaptiveCards from 'adaptivecards';

/**
 * Checks on every Adaptive Card the gateway produces, with Microsoft's own parser and a
 * CommonMark renderer, so a card Teams would refuse or a string that would render as layout
 * fails a test instead of an approver.
 */

// The package's `lib/` build is ES modules without file extensions, which Node cannot load;
// its `dist/` build is the UMD bundle Microsoft ships for hosts, the same parser.
const AC = createRequire(import.meta.url)(
  'adaptivecards/dist/adaptivecards.js',
) as typeof AdaptiveCards;

/**
 * Parses a card with the `adaptivecards` package at the card's declared version, the way a
 * host does, and answers every parse event (unknown element or action types, invalid
 * property values, elements newer than the version) and validation failure. Empty: valid.
 */
export function adaptiveCardProblems(card: unknown): string[] {
  const declared = (card as { version?: unknown }).version;
  const version = AC.Version.parse(
    typeof declared === 'string' ? declared : '',
    new AC.SerializationContext(),
  );
  if (!version?.isValid) return [`no valid version: ${String(declared)}`];
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(version);
  parsed.parse(card, context);
  const out: string[] = [];
  for (let i = 0; i < context.eventCount; i++) out.push(context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) out.push(event.message);
  return out;
}

// Adaptive Cards' Markdown is a CommonMark subset
// (https://learn.microsoft.com/adaptive-cards/create/textfeatures); markdown-it in its
// CommonMark preset is the renderer the adaptivecards package itself recommends.
const markdown = new MarkdownIt('commonmark');

/** A TextBlock's or Fact's text as a CommonMark renderer shows it, as HTML. */
export function renderedMarkdown(text: string): string {
  return markdown.render(text);
}

/**
 * What Markdown made of a text: the HTML tags other than the one paragraph around it. Empty
 * means plain text in one paragraph.
 */
export function markdownEffects(text: string): string[] {
  const html = renderedMarkdown(text).trim();
  const tags = [...html.matchAll(/<\/?([a-z0-9]+)[^>]*>/g)].map((m) => m[1]);
  const paragraphs = tags.filter((t) => t === 'p').length;
  const other = tags.filter((t) => t !== 'p' && t !== 'br');
  return [...(paragraphs === 2 || html === '' ? [] : [`${paragraphs / 2} paragraphs`]), ...other];
}

/** Every TextBlock text and Fact title/value in a card, with where it is. */
export function cardTexts(card: unknown): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'TextBlock' && typeof o.text === 'string') out.push({ where, text: o.text });
      if (o.type === 'FactSet' && Array.isArray(o.facts)) {
        for (const [i, f] of (o.facts as Array<{ title: string; value: string }>).entries()) {
          out.push({ where: `${where}.facts[${i}].title`, text: f.title });
          out.push({ where: `${where}.facts[${i}].value`, text: f.value });
        }
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${where}.${k}`);
    }
  };
  walk(card, '$');
  return out;
}
