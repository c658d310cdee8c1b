/** The machine the figures come from: cores, memory, Node version (and what else helps compare runs). */
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { round, type Measured } from './support';

export interface MachineResult {
  cores: number;
  memoryGiB: number;
  node: string;
  cpuModel: string;
  os: string;
}

export async function measureMachine(): Promise<Measured<MachineResult>> {
  const cores = cpus();
  const result: MachineResult = {
    cores: cores.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${release()} ${arch()}`,
  };
  return {
    result,
    rows: [{ measure: 'machine', figure: `${result.cores} cores, ${result.memoryGiB} GiB, Node ${result.node}`, target: '-', verdict: 'info' }],
    notes: [`machine: ${result.cpuModel}; ${result.os}`],
  };
}
