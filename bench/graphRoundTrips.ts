/**
 * Graph round trips per delivered package: GraphProvisioner.grant of a package of n resources (n − 1 group
 * memberships and one app role; one group for n = 1) to a user who holds none of them, against the Graph
 * emulator, counting the HTTP requests the emulator answered (a `$batch` counts once). Target ⌈n/20⌉.
 */
import type { Resource } from '../src/catalog/types';
import { createGraphClient } from '../src/graph/graphClient';
import { GraphProvisioner } from '../src/graph/provisioner';
import { startGraphEmulator } from '../src/local/graphEmulator';
import { BENCH, benchSeed, verdict, type Measured, type Row } from './support';

export const PACKAGE_SIZES = [1, 5, 20, 45] as const;

export type GraphRoundTripsResult = Record<'1' | '5' | '20' | '45', number>;

function packageOf(n: number): Resource[] {
  if (n === 1) return [{ type: 'group', groupId: BENCH.group(0), role: 'member' }];
  const groups = Array.from({ length: n - 1 }, (_, i): Resource => ({ type: 'group', groupId: BENCH.group(i), role: 'member' }));
  return [...groups, { type: 'appRole', servicePrincipalId: BENCH.servicePrincipal, appRoleId: BENCH.appRole }];
}

export async function measureGraphRoundTrips(): Promise<Measured<GraphRoundTripsResult>> {
  const graph = await startGraphEmulator({ seed: benchSeed({ requesters: PACKAGE_SIZES.length, managers: 1, groups: Math.max(...PACKAGE_SIZES) }) });
  try {
    const provisioner = new GraphProvisioner(createGraphClient({ baseUrl: graph.url }), { graphBaseUrl: graph.url });
    const result = {} as GraphRoundTripsResult;
    const rows: Row[] = [];
    for (const [i, n] of PACKAGE_SIZES.entries()) {
      const before = graph.requests().length;
      const outcomes = await provisioner.grant(BENCH.requester(i), packageOf(n));
      const trips = graph.requests().length - before;
      const undelivered = outcomes.filter((o) => o.status !== 'delivered').length;
      if (undelivered) throw new Error(`package of ${n}: ${undelivered} resource(s) not delivered: ${JSON.stringify(outcomes.find((o) => o.status !== 'delivered'))}`);
      result[String(n) as keyof GraphRoundTripsResult] = trips;
      const target = Math.ceil(n / 20);
      rows.push({ measure: `Graph round trips, package of ${n}`, figure: String(trips), target: `= ${target} (⌈n/20⌉)`, verdict: verdict(trips <= target) });
    }
    return {
      result,
      rows,
      notes: ['graph: GraphProvisioner.grant of n resources (n−1 group memberships + 1 app role) to a new user, HTTP requests counted by the emulator, all delivered'],
    };
  } finally {
    await graph.close();
  }
}
