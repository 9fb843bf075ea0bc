import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { parse as parseSpec, serialize } from 'parse5';
import TurndownService from 'turndown';

/** Never content for a model: code, styling, embedded documents and forms. */
const NOISE = 'script, style, noscript, template, svg, canvas, iframe, object, embed, form, link, meta';

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' });
// Turndown's core knows no tables: rows become Markdown table lines, which models read well.
turndown.addRule('table-cell', {
  filter: ['th', 'td'],
  replacement: (content) => ` ${content.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim()} |`,
});
turndown.addRule('table-row', {
  filter: 'tr',
  replacement: (content, node) => {
    const row = `|${content}\n`;
    // Markdown tables need a header line: it goes under the table's first row, whether or not it has <th>.
    if (node.closest('table')?.querySelector('tr') !== node) return row;
    const cells = node.querySelectorAll('th, td').length;
    return `\n\n${row}|${' --- |'.repeat(cells)}\n`;
  },
});
turndown.addRule('table', { filter: ['table', 'thead', 'tbody', 'tfoot'], replacement: (content) => `${content}\n\n` });
// An image without a description is only a URL: not worth the model's tokens.
turndown.addRule('image', {
  filter: 'img',
  replacement: (_content, node) => {
    const alt = (node.getAttribute('alt') ?? '').trim();
    const src = node.getAttribute('src') ?? '';
    return alt && src ? `![${alt}](${src})` : '';
  },
});

/**
 * The main content of an HTML page as Markdown, links kept (absolute, so the model can fetch them next).
 * The model reads headings, lists, tables and links as the page meant them, in fewer tokens than HTML.
 * Readability (Firefox's reader view) picks the article and drops navigation, ads and footers; a page it
 * finds no article in (a link list, a short page) is converted whole. Turndown writes the Markdown.
 */
export function htmlToMarkdown(html: string, pageUrl: URL): string {
  // parse5 parses as browsers do (implied <html>/<body>, unclosed tags, a page cut at max_bytes); linkedom,
  // a light DOM for Readability, expects a complete document, which parse5's serialisation is.
  const { document } = parseHTML(serialize(parseSpec(html)));
  for (const node of document.querySelectorAll(NOISE)) node.remove();
  absolutize(document, pageUrl);
  const title = (document.querySelector('title')?.textContent ?? '').replace(/\s+/g, ' ').trim();
  const article = new Readability(document.cloneNode(true) as typeof document, { charThreshold: 200 }).parse();
  const content = article?.content && (article.textContent ?? '').trim() !== '' ? article.content : (document.body?.innerHTML ?? html);
  const markdown = tidy(turndown.turndown(content));
  const heading = (article?.title ?? title).trim();
  if (!heading || markdown.replace(/^#+ /, '').startsWith(heading)) return markdown;
  return markdown === '' ? `# ${heading}` : `# ${heading}\n\n${markdown}`;
}

type Doc = ReturnType<typeof parseHTML>['document'];

/** Links and images relative to the page become absolute; script links lose their target. */
function absolutize(document: Doc, base: URL): void {
  for (const [selector, attribute] of [
    ['a[href]', 'href'],
    ['img[src]', 'src'],
  ] as const) {
    for (const element of document.querySelectorAll(selector)) {
      const value = element.getAttribute(attribute) ?? '';
      let absolute: URL | undefined;
      try {
        absolute = new URL(value, base);
      } catch {
        absolute = undefined;
      }
      if (absolute && (absolute.protocol === 'http:' || absolute.protocol === 'https:' || absolute.protocol === 'mailto:')) {
        element.setAttribute(attribute, absolute.href);
      } else {
        element.removeAttribute(attribute);
      }
    }
  }
}

/** Turndown's list items carry three spaces after the marker, blank runs can pile up, and &nbsp; is only a space to a model. */
function tidy(markdown: string): string {
  return markdown
    .replace(/\u00a0/g, ' ')
    .replace(/^(\s*)- {3}/gm, '$1- ')
    .replace(/^(\s*\d+\.) {2}/gm, '$1 ')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
