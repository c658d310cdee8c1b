/** The `schedule` effect: add a transition's timers to the due-time index. */
import type { Effect } from '../../domain/effects';
import type { AppContext } from '../context';
import type { LoadedRequest, PendingEffect } from '../ports';

export async function runSchedule(ctx: AppContext, _loaded: LoadedRequest, pending: PendingEffect): Promise<void> {
  const { items } = pending.effect as Extract<Effect, { kind: 'schedule' }>;
  await ctx.schedule.add(items);
}
