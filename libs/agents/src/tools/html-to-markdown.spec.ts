import { describe, expect, it } from '@jest/globals';
import { htmlToMarkdown } from './html-to-markdown.js';

const page = new URL('https://example.com/docs/page.html');

describe('htmlToMarkdown', () => {
  it('writes headings, lists, emphasis and code as Markdown, without scripts, styles or comments', () => {
    const html =
      '<html><head><title>My page</title><style>p{}</style></head><body><h2>Head</h2><p>One <em>two</em> <code>x()</code></p>' +
      '<script>evil()</script><!-- note --><ol><li>first</li><li>second</li></ol><pre><code>let a = 1;</code></pre></body></html>';
    expect(htmlToMarkdown(html, page)).toBe('# My page\n\n## Head\n\nOne *two* `x()`\n\n1. first\n2. second\n\n```\nlet a = 1;\n```');
  });

  it('makes links and images absolute against the page, and drops script links and images without a description', () => {
    const html =
      '<p><a href="next.html">next</a> <a href="/top">top</a> <a href="javascript:alert(1)">js</a> <a href="mailto:a@b.c">mail</a>' +
      '<img src="a.png" alt="A chart"><img src="spacer.gif"></p>';
    expect(htmlToMarkdown(html, page)).toBe(
      '[next](https://example.com/docs/next.html) [top](https://example.com/top) js [mail](mailto:a@b.c)![A chart](https://example.com/docs/a.png)',
    );
  });

  it('decodes entities and turns tables into Markdown tables', () => {
    expect(htmlToMarkdown('<p>5 &lt; 6 &amp;&amp; &quot;q&quot; &#x263A; &#65;&nbsp;x</p>', page)).toBe('5 < 6 && "q" ☺ A x');
    expect(htmlToMarkdown('<table><tr><td>k</td><td>v|w</td></tr><tr><td>a</td><td>1</td></tr></table>', page)).toBe(
      '| k | v\\|w |\n| --- | --- |\n| a | 1 |',
    );
  });

  it('reads what browsers read: text without tags, missing <html>/<body>, a page cut inside a tag', () => {
    expect(htmlToMarkdown('just text', page)).toBe('just text');
    expect(htmlToMarkdown('<!doctype html><title>T</title><p>body text', page)).toBe('# T\n\nbody text');
    expect(htmlToMarkdown('<p>cut here <a href="/very/lo', page)).toBe('cut here');
    expect(htmlToMarkdown('', page)).toBe('');
  });
});
