import type { DueItem } from '../domain/schedule';
import type { AppContext } from './context';
import type { EffectRunner } from './effectRunner';

/** Placeholder: the lead replaces this with the re-check and the work of each due item. */
export async function runDueItem(_ctx: AppContext, _effects: EffectRunner, _item: DueItem): Promise<'done' | 'stale'> {
  throw new Error('not implemented yet');
}
