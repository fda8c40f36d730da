import { describe, expect, test } from 'vitest';
import { markdownToHtml, markdownToPlaintext } from '../../src/notifications/render/markdown.js';

describe('markdownToHtml', () => {
  test('paragraphs, emphasis, typographic quotes', () => {
    expect(markdownToHtml('Your workspace **ws** was deleted.\n\nThe reason was "_idle_".')).toBe(
      '<p>Your workspace <strong>ws</strong> was deleted.</p>\n<p>The reason was “<em>idle</em>”.</p>',
    );
  });

  test('single newlines are hard line breaks', () => {
    expect(markdownToHtml('line one\nline two')).toBe('<p>line one<br />\nline two</p>');
  });

  test('lists and nested lists', () => {
    const html = markdownToHtml('* a\n* b\n  * c\n\n1. one\n2. two');
    expect(html).toContain('<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>');
    expect(html).toContain('<ol>\n<li>one</li>\n<li>two</li>\n</ol>');
  });

  test('links keep only http, https and mailto targets', () => {
    expect(markdownToHtml('[a](https://x.test/p?q=1&r=2)')).toBe('<p><a href="https://x.test/p?q=1&amp;r=2">a</a></p>');
    expect(markdownToHtml('[m](mailto:bob@x.test)')).toBe('<p><a href="mailto:bob@x.test">m</a></p>');
    // javascript: is refused by markdown-it itself (left as text); relative links lose the anchor
    expect(markdownToHtml('[x](javascript:alert(1))')).not.toContain('<a');
    expect(markdownToHtml('[x](data:text/html;base64,AAAA)')).not.toContain('<a');
    expect(markdownToHtml('[rel](/settings)')).toBe('<p>rel</p>');
    expect(markdownToHtml('[ftp](ftp://x.test/f)')).toBe('<p>ftp</p>');
  });

  test('no linkify: bare URLs stay text; autolinks work', () => {
    expect(markdownToHtml('see https://x.test')).toBe('<p>see https://x.test</p>');
    expect(markdownToHtml('<https://x.test>')).toBe('<p><a href="https://x.test">https://x.test</a></p>');
  });

  test('raw HTML is escaped, never rendered', () => {
    const html = markdownToHtml('hi <script>alert(1)</script> <img src=x onerror=alert(1)> <b>bold</b>');
    expect(html).not.toMatch(/<script|<img|<b>/);
    expect(html).toContain('&lt;script&gt;');
    const block = markdownToHtml('<div onclick="x()">\nblock\n</div>');
    expect(block).not.toContain('<div');
  });

  test('images are dropped, attributes are stripped', () => {
    expect(markdownToHtml('![alt](https://x.test/i.png)')).not.toContain('<img');
    expect(markdownToHtml('```js\ncode <b>\n```')).toBe('<pre><code>code &lt;b&gt;\n</code></pre>');
  });

  test('headings, quotes, tables, code, strikethrough', () => {
    const html = markdownToHtml('# T\n\n> q\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n`c` ~~s~~');
    expect(html).toContain('<h1>T</h1>');
    expect(html).toContain('<blockquote>\n<p>q</p>\n</blockquote>');
    expect(html).toContain('<td style="text-align:right">2</td>');
    expect(html).toContain('<code>c</code> <s>s</s>');
  });

  test('empty input', () => {
    expect(markdownToHtml('')).toBe('');
  });
});

describe('markdownToPlaintext', () => {
  test('strips emphasis markers and trims', () => {
    expect(markdownToPlaintext('\n\nYour workspace **ws** was _deleted_ ~~now~~.\n\n')).toBe('Your workspace ws was deleted now.');
  });

  test('links as text (url)', () => {
    expect(markdownToPlaintext('[View build](http://test.com/b/1) and <http://x.test> and <a@b.test>')).toBe(
      'View build (http://test.com/b/1) and http://x.test and a@b.test',
    );
    expect(markdownToPlaintext('[**bold** link](https://x.test)')).toBe('bold link (https://x.test)');
  });

  test('paragraphs separated by a blank line; line breaks kept', () => {
    expect(markdownToPlaintext('a\nb\n\nc')).toBe('a\nb\n\nc');
  });

  test('bullets, numbers and nesting', () => {
    expect(markdownToPlaintext('Report:\n\n* **v1** failed 3 times:\n  * [ws / #1](http://t/1)\n  * two\n* v2')).toBe(
      'Report:\n\n• v1 failed 3 times:\n  • ws / #1 (http://t/1)\n  • two\n• v2',
    );
    expect(markdownToPlaintext('3. c\n4. d')).toBe('3. c\n4. d');
  });

  test('entities decoded, raw HTML kept as text, headings/code/quotes', () => {
    expect(markdownToPlaintext('Tom &amp; Jerry &lt;3')).toBe('Tom & Jerry <3');
    expect(markdownToPlaintext('## Title\n\n`code` and\n\n```\nblock\n  indented\n```\n\n> quoted')).toBe(
      'Title\n\ncode and\n\nblock\n  indented\n\n> quoted',
    );
    expect(markdownToPlaintext('![logo](http://x/l.png)')).toBe('logo (http://x/l.png)');
  });

  test('label values that look like Markdown but were escaped stay literal', () => {
    expect(markdownToPlaintext('workspace \\*\\*not bold\\*\\* \\[x\\](y)')).toBe('workspace **not bold** [x](y)');
  });
});
