export { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './server';
export type { WriteRecord } from './emulator';
export type { FaultSpec } from './faults';
export { GraphSeedError, loadGraphSeed, parseGraphSeed, type GraphSeed, type GraphSeedInput } from './seed';
