import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'adaptivecards-templating';

export const TEMPLATE_NAMES = [
  'requestForm',
  'requestStatus',
  'approvalRequest',
  'requestDenied',
  'accessDelivered',
  'requesterNotice',
  'myRequests',
  'cancelList',
  'help',
  'deliveryFailedAlert',
  'failedRequests',
  'requestHistory',
  'reprocessOutcome',
  'approvalsInbox',
  'manage',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** An expanded Adaptive Card, ready to send. */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  version: string;
  body: unknown[];
  actions?: unknown[];
  [property: string]: unknown;
}

export interface CardAttachment {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: AdaptiveCard;
}

/** What a template binds to: plain JSON built by a view module. */
export type TemplateData = { [key: string]: TemplateValue };
type TemplateValue = string | number | boolean | TemplateValue[] | TemplateData;

export function cardAttachment(card: AdaptiveCard): CardAttachment {
  return { contentType: 'application/vnd.microsoft.card.adaptive', content: card };
}

/** Expands `cards/<name>.json` with `data` and checks that nothing was left unbound. */
export function renderTemplate(name: TemplateName, data: TemplateData): AdaptiveCard {
  const expanded: unknown = parsedTemplate(name).expand({ $root: neutralizeBindings(data) });
  const json = JSON.stringify(expanded);
  const unbound = json.match(/\$\{[^}]*\}?/);
  if (unbound) throw new Error(`card template "${name}" left ${unbound[0]} unbound: its view model lacks that field`);
  if (!isAdaptiveCard(expanded)) throw new Error(`card template "${name}" did not expand to an AdaptiveCard`);
  return expanded;
}

const templateCache = new Map<TemplateName, unknown>();
/** Parsing a template's expressions is the costly part of rendering (profiled): parse each once, expand many times. */
const parsedTemplates = new Map<TemplateName, Template>();

function parsedTemplate(name: TemplateName): Template {
  let template = parsedTemplates.get(name);
  if (template === undefined) {
    template = new Template(loadTemplate(name));
    parsedTemplates.set(name, template);
  }
  return template;
}

export function loadTemplate(name: TemplateName): unknown {
  let template = templateCache.get(name);
  if (template === undefined) {
    template = JSON.parse(readFileSync(path.join(cardsDirectory(), `${name}.json`), 'utf8')) as unknown;
    templateCache.set(name, template);
  }
  return template;
}

let cardsDirectoryPath: string | undefined;

/** `cards/` at the project root, found from here both under tsx (src/...) and compiled (dist/src/...). */
export function cardsDirectory(): string {
  if (cardsDirectoryPath) return cardsDirectoryPath;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'cards');
    if (existsSync(path.join(candidate, 'requestForm.json'))) return (cardsDirectoryPath = candidate);
    if (path.dirname(dir) === dir) throw new Error(`cards/ directory not found above ${__dirname}`);
  }
}

/**
 * User-entered text may contain "${": a zero-width space after the "$" keeps such text from looking like
 * an unbound template field (templating never expands data values, so this is only about the check).
 */
function neutralizeBindings(value: TemplateData): TemplateData;
function neutralizeBindings(value: TemplateValue): TemplateValue;
function neutralizeBindings(value: TemplateValue): TemplateValue {
  if (typeof value === 'string') return value.replaceAll('${', '$\u200b{');
  if (Array.isArray(value)) return value.map((item) => neutralizeBindings(item));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, neutralizeBindings(item)]));
  }
  return value;
}

function isAdaptiveCard(value: unknown): value is AdaptiveCard {
  if (typeof value !== 'object' || value === null) return false;
  const card = value as Record<string, unknown>;
  return card.type === 'AdaptiveCard' && typeof card.version === 'string' && Array.isArray(card.body);
}
