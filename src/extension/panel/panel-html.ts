/** URIs and the nonce the charts page is built from; every URI as the webview must see it. */
export interface PanelPage {
  /** `webview.cspSource` */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** codicon.css, for the icons of @vscode-elements (linked with the id they look for) */
  codiconUri?: string;
}

/** The Content-Security-Policy of the charts page: nothing inline, scripts only by nonce. */
export function panelCsp(cspSource: string, nonce: string): string {
  return `default-src 'none'; img-src ${cspSource} data:; style-src ${cspSource}; font-src ${cspSource}; script-src 'nonce-${nonce}';`;
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The webview's HTML: one nonce'd module script, stylesheets by link, no inline code or style. */
export function renderPanelHtml(page: PanelPage): string {
  const codicons = page.codiconUri
    ? `\n  <link rel="stylesheet" href="${attr(page.codiconUri)}" id="vscode-codicon-stylesheet">`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(page.cspSource, page.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">${codicons}
  <link rel="stylesheet" href="${attr(page.styleUri)}">
  <title>Perf Lens: Live Charts</title>
</head>
<body>
  <main id="root"></main>
  <script type="module" nonce="${attr(page.nonce)}" src="${attr(page.scriptUri)}"></script>
</body>
</html>
`;
}
