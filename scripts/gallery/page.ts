/** The HTML page on which the Adaptive Cards JS renderer draws the gallery's cards, Teams-like. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AdaptiveCard } from '../../src/teams/views';
import type { Locale } from '../../src/teams/i18n';

/** Width of a card in a Teams chat on a desktop, and the chat background around it. */
export const CARD_WIDTH = 520;
export const PAGE_PADDING = 16;
/** The page hash that renders every card and reports their heights instead of showing one. */
export const MEASURE = '__measure__';

const HOST_CONFIG: unknown = JSON.parse(readFileSync(path.join(__dirname, 'teamsLightHostConfig.json'), 'utf8'));

/** Buttons, inputs and the card frame as Teams draws them; the renderer itself only lays out. */
const STYLE = `
  html, body { margin: 0; background: #F5F5F5; }
  body { padding: ${PAGE_PADDING}px; width: ${CARD_WIDTH}px; }
  .frame { background: #FFFFFF; border-radius: 6px; box-shadow: 0 1px 2px rgba(0, 0, 0, 0.14), 0 0 2px rgba(0, 0, 0, 0.12); overflow: hidden; }
  .frame + .frame { margin-top: ${PAGE_PADDING}px; }
  .ac-pushButton {
    font: 600 14px 'Segoe UI', 'Liberation Sans', 'Noto Sans CJK JP', sans-serif; color: #242424; background: #FFFFFF;
    border: 1px solid #D1D1D1; border-radius: 4px; padding: 5px 12px; min-height: 32px; cursor: pointer;
  }
  .ac-pushButton.style-positive { background: #5B5FC7; border-color: #5B5FC7; color: #FFFFFF; }
  .ac-pushButton.style-destructive { color: #C4314B; border-color: #C4314B; }
  .ac-input { font: 14px 'Segoe UI', 'Liberation Sans', 'Noto Sans CJK JP', sans-serif; color: #242424; box-sizing: border-box; }
  .ac-input.ac-textInput, .ac-input.ac-dateInput, .ac-input.ac-multichoiceInput {
    background: #FFFFFF; border: 1px solid #D1D1D1; border-bottom-color: #616161; border-radius: 4px; padding: 6px 10px; min-height: 32px; width: 100%;
  }
  .ac-input.ac-textInput.ac-multiline { min-height: 64px; resize: none; }
  .ac-input-container { width: 100%; }
`;

export function galleryPage(cards: Record<string, AdaptiveCard>, locale: Locale, rendererPath: string): string {
  const data = JSON.stringify({ cards, hostConfig: HOST_CONFIG, measure: MEASURE }).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<style>${STYLE}</style>
<script src="${pathToFileURL(rendererPath).href}"></script>
</head>
<body>
<div id="cards"></div>
<script>
  const { cards, hostConfig, measure } = ${data};
  function render(name) {
    const card = new AdaptiveCards.AdaptiveCard();
    card.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
    card.parse(cards[name]);
    const frame = document.createElement('div');
    frame.className = 'frame';
    frame.appendChild(card.render());
    document.getElementById('cards').appendChild(frame);
    return frame;
  }
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted === measure) {
    const heights = {};
    for (const name of Object.keys(cards)) heights[name] = Math.ceil(render(name).getBoundingClientRect().height);
    document.body.innerHTML = '<pre id="heights">' + JSON.stringify(heights) + '</pre>';
  } else {
    render(wanted);
  }
</script>
</body>
</html>
`;
}
