export { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './server';
export type { RequestRecord, WriteRecord } from './emulator';
export type { FaultSpec } from './faults';
export { EmulatorControlError, GraphEmulatorControl, type HttpFault } from './controlClient';
export { GraphSeedError, loadGraphSeed, parseGraphSeed, type GraphSeed, type GraphSeedInput } from './seed';
