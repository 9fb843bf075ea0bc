import { describe, expect, it } from '@jest/globals';
import { htmlToText } from './html-to-text.js';

describe('htmlToText', () => {
  it('keeps the title and the text, with blocks on their own lines', () => {
    const html = '<html><head><title>My  page</title><meta charset="utf-8"></head><body><h1>Head</h1><p>One<br>two</p><div>three</div></body></html>';
    expect(htmlToText(html)).toBe('My page\n\nHead\n\nOne\ntwo\n\nthree');
  });

  it('drops scripts, styles, comments and other non-text elements, even unclosed at a cut', () => {
    const html = '<p>a</p><script type="x">if (a < b) alert(1)</script><style>p{}</style><!-- note --><svg><text>s</text></svg><p>b</p><script>cut off';
    expect(htmlToText(html)).toBe('a\n\nb');
  });

  it('decodes entities and drops a tag cut off by the size limit', () => {
    expect(htmlToText('<p>5 &lt; 6 &amp;&amp; &quot;q&quot; &#x263A; &#65; &unknown; &nbsp;x</p><a href="/very/lo')).toBe('5 < 6 && "q" ☺ A &unknown; x');
  });

  it('separates table cells', () => {
    expect(htmlToText('<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>')).toBe('k v\n\na 1');
  });
});
