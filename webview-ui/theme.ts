/**
 * Chart colours come from the VS Code theme's CSS variables (--vscode-charts-blue, …), read
 * again whenever the theme changes: VS Code then swaps the body's class (vscode-dark,
 * vscode-light, vscode-high-contrast…) and the variables on <html>.
 */
export type ChartColor = 'blue' | 'red' | 'green' | 'yellow' | 'orange' | 'purple' | 'foreground' | 'lines' | 'font';

const VARS: Record<ChartColor, [string, string]> = {
  blue: ['--vscode-charts-blue', '#3794ff'],
  red: ['--vscode-charts-red', '#f14c4c'],
  green: ['--vscode-charts-green', '#89d185'],
  yellow: ['--vscode-charts-yellow', '#cca700'],
  orange: ['--vscode-charts-orange', '#d18616'],
  purple: ['--vscode-charts-purple', '#b180d7'],
  foreground: ['--vscode-foreground', '#cccccc'],
  lines: ['--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'],
  font: ['--vscode-font-family', 'system-ui, sans-serif'],
};

export type Palette = Record<ChartColor, string>;

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const out = {} as Palette;
  for (const [name, [cssVar, fallback]] of Object.entries(VARS) as [ChartColor, [string, string]][]) {
    out[name] = style.getPropertyValue(cssVar).trim() || fallback;
  }
  return out;
}

/** Calls `onChange` with the new palette when the theme changes. */
export function watchTheme(onChange: (palette: Palette) => void): void {
  const observer = new MutationObserver(() => onChange(readPalette()));
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

/** A colour with an alpha, for fills and grid lines. */
export function alpha(color: string, a: number): string {
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color);
  if (!hex) return color;
  const n = parseInt(hex[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}
