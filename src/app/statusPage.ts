import type { AccessRequest } from '../domain/request';
import type { RequesterPosition } from '../domain/requesterOverview';
import type { AppContext } from './context';

/**
 * How many requests that are not over (access held, open) one `status` card shows, and how many of the history's
 * newest requests it reads for the finished ones (the current ones among them are shown above instead). A card
 * must stay under Teams' 28 KB message limit: 15 access rows with their resources, notes and buttons plus 20 lines
 * of finished requests fit (test/unit/myRequestsView.test.ts renders the largest such card).
 */
export const CURRENT_PER_PAGE = 15;
export const HISTORY_PER_PAGE = 20;

/**
 * Where a "more" page goes on: the requests not over after `current`, the history after `history`. On a page
 * reached with "more", a part without a position is done and not shown again.
 */
export interface StatusCursor {
  current?: RequesterPosition;
  history?: RequesterPosition;
}

export interface StatusPage {
  /** The requests not over (newest first), then the finished ones (newest first). */
  requests: AccessRequest[];
  /** How many requests not over follow the ones shown (on a later page). */
  notShown: number;
  /** Where the next page goes on; none when nothing follows. */
  next?: StatusCursor;
  /** A page reached with "more" rather than the first. */
  continued: boolean;
}

/**
 * One page of `status` for the requester: every access and open request first (CURRENT_PER_PAGE a page, with how
 * many follow), then the finished requests among the newest HISTORY_PER_PAGE; `cursor` (from "more") goes on
 * from where the previous page stopped. Reads only the requester's own requests, whatever the cursor says.
 */
export async function statusPage(ctx: AppContext, requesterId: string, cursor?: StatusCursor): Promise<StatusPage> {
  const continued = cursor !== undefined;
  const page = await ctx.store.pageOfRequester(requesterId, {
    current: !continued || cursor.current ? { after: cursor?.current, limit: CURRENT_PER_PAGE } : undefined,
    history: !continued || cursor.history ? { after: cursor?.history, limit: HISTORY_PER_PAGE } : undefined,
  });
  const next: StatusCursor = {
    ...(page.currentNext ? { current: page.currentNext } : {}),
    ...(page.historyNext ? { history: page.historyNext } : {}),
  };
  return {
    requests: [...page.current, ...page.finished],
    notShown: page.currentNotShown,
    next: next.current || next.history ? next : undefined,
    continued,
  };
}
