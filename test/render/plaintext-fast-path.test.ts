import { describe, expect, it } from 'vitest';

import { markdownToPlaintext, parsedMarkdownToPlaintext } from '../../src/notifications/render/markdown.js';
import { escapeMarkdown } from '../../src/notifications/render/escape.js';

// markdownToPlaintext skips the parser for plain one-line text; whatever it returns must be what the
// parser gives for the same input.
describe('markdownToPlaintext fast path', () => {
  const samples = [
    'Hello Ada, your order ORD\\-100000 for 1\\.37 EUR has been confirmed.',
    'Workspace dev is ready',
    'a   b  ',
    'Done\\\\',
    'Done\\\\*x*',
    'Price: 5% off; see https://example.com/x?a=1',
    'Pay \\*now\\*, not \\_later\\_',
    'Escaped \\[link\\]\\(x\\) and \\<b\\> and \\&amp;',
    "It's \"quoted\" - really",
    'Line one\nline two',
    '1. not plain',
    '- not plain',
    '    code',
    '*emph*',
    'a \\q b',
    'Tab\there',
    'x\\',
  ];
  it.each(samples)('%j', (s) => {
    expect(markdownToPlaintext(s)).toBe(parsedMarkdownToPlaintext(s));
  });

  it('agrees with the parser on generated text, escaped user values included', () => {
    const alphabet = 'aZ09 ,.;:\'"?/%@+-\\*_`[]()<>&!#|~=\n\t';
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      let s = 'Ab';
      const len = rand(40);
      for (let k = 0; k < len; k++) s += alphabet[rand(alphabet.length)];
      if (i % 3 === 0) s = `Order ${escapeMarkdown(s)} ok`;
      expect(markdownToPlaintext(s), JSON.stringify(s)).toBe(parsedMarkdownToPlaintext(s));
      if (/^[A-Za-z][A-Za-z0-9 ,.;:'"?/%@+\\-]*$/.test(s)) fast++;
    }
    expect(fast).toBeGreaterThan(100);
  });
});
