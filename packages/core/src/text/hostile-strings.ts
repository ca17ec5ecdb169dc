/**
 * Agent-controlled text that tries to change the layout of an approver's message. Every
 * renderer (Slack blocks, Teams cards, web pages, webhook text, CLI output) is tested with
 * these and must show them as inert text inside their own field: no mention, link, emphasis,
 * heading, line break that escapes the field, or fake section. Exported so that a new
 * channel's renderer is tested against the same corpus.
 * @module
 */
export const HOSTILE_STRINGS: Readonly<Record<string, string>> = {
  newlines: 'line one\n\n*Votes*\n✅ approved by security\n---',
  crlf: 'a\r\nb\rc\u2028d\u2029e',
  slackMarkup: '*bold* _italic_ ~strike~ `code` ```fence``` > quote :white_check_mark:',
  slackMentions: '<!here> <!channel> <!everyone> @here @channel @everyone <@U123> <#C123>',
  slackLinks: '<https://evil.example|Approve here> https://evil.example/x',
  markdown: '# Heading\n## Votes\n**approved** [click](https://evil.example) ![img](x.png)',
  teamsMentions: '<at>Security Team</at> @Security',
  html: '<b>x</b><script>alert(1)</script><img src=x onerror=alert(1)>',
  rtl: 'invoice\u202Egpj.exe\u202C and \u2066isolated\u2069',
  controls: 'nul\u0000bell\u0007esc\u001b[31mred\u001b[0m del\u007f',
  zeroWidth: 'app\u200Brove\u200D\uFEFF',
  surrogates: 'emoji 😀 lone \uD83D end',
  ampersands: '&<>'.repeat(3500),
};

/** The strings as one params object, keys hostile too. */
export const HOSTILE_PARAMS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(HOSTILE_STRINGS).map(([k, v]) => [`${k}\n*key*`, v]),
);
