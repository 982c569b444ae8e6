import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** One of the extension's webview pages: its own script and stylesheet, and the element the script fills. */
export interface WebviewPage {
  title: string;
  /** The script, a file under the webview's local resource roots. */
  script: vscode.Uri;
  stylesheet: vscode.Uri;
  /** The page's body before its script runs (an empty root element, marked busy). */
  body: string;
  /** Lets the page show `data:` images (a chart library drawing to a canvas exports them). */
  dataImages?: boolean;
}

/**
 * The HTML of a webview page under a Content Security Policy that allows nothing but the page's own script (by a
 * fresh nonce), its stylesheet, and images and fonts from the extension: every page of the extension is made here.
 */
export function webviewPageHtml(webview: vscode.Webview, page: WebviewPage): string {
  const nonce = randomBytes(18).toString('base64');
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource}${page.dataImages ? ' data:' : ''}`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${webview.asWebviewUri(page.stylesheet)}">
<title>${page.title}</title>
</head>
<body>
${page.body}
<script nonce="${nonce}" src="${webview.asWebviewUri(page.script)}"></script>
</body>
</html>`;
}
