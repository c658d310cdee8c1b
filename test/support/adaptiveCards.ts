/**
 * The `adaptivecards` SDK for tests. Its package entry is ESM without file extensions and fails under
 * plain Node, so this loads the UMD bundle, after giving it the browser globals it expects from jsdom.
 */
import { createRequire } from 'node:module';
import { JSDOM } from 'jsdom';
import type * as AdaptiveCardsSdk from 'adaptivecards';

export type AdaptiveCardsModule = typeof AdaptiveCardsSdk;

export interface ParseReport {
  /** Problems `AdaptiveCard.parse` reported (unknown elements, bad property values, ...). */
  parseEvents: string[];
  /** Problems `validateProperties()` found in the parsed card. */
  validationEvents: string[];
}

let sdk: AdaptiveCardsModule | undefined;

export function adaptiveCardsSdk(): AdaptiveCardsModule {
  if (!sdk) {
    installBrowserGlobals();
    sdk = createRequire(__filename)('adaptivecards/dist/adaptivecards.js') as AdaptiveCardsModule;
  }
  return sdk;
}

/** Parses `json` as an Adaptive Card of schema 1.5 and reports everything the SDK complained about. */
export function parseCard(json: unknown): ParseReport {
  const { AdaptiveCard, SerializationContext, Versions } = adaptiveCardsSdk();
  const card = new AdaptiveCard();
  const context = new SerializationContext(Versions.v1_5);
  card.parse(json, context);
  const parseEvents: string[] = [];
  for (let i = 0; i < context.eventCount; i++) parseEvents.push(context.getEventAt(i).message);
  const validationEvents = card.validateProperties().validationEvents.map((event) => event.message);
  return { parseEvents, validationEvents };
}

function installBrowserGlobals(): void {
  const { window } = new JSDOM('<!doctype html><html><body></body></html>');
  const globals: Record<string, unknown> = { window, document: window.document };
  for (const name of Object.getOwnPropertyNames(window)) {
    if (/^(HTML|SVG|Node|Element|Event|Document|Text|DOM|CSS)/.test(name) && !(name in globalThis)) {
      globals[name] = (window as unknown as Record<string, unknown>)[name];
    }
  }
  Object.assign(globalThis, globals);
}
