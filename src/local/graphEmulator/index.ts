export { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './server';
export type { RequestRecord, WriteRecord } from './emulator';
export type { FaultSpec } from './faults';
export { EmulatorControlError, GraphEmulatorControl, type HttpFault } from './controlClient';
export { GraphSeedError, loadGraphSeed, parseGraphSeed, type GraphSeed, type GraphSeedInput } from './seed';
export { GRAPH_SERVICE_PRINCIPAL_OBJECT_ID, LOCAL_GRAPH_CLIENT_ID, LOCAL_GRAPH_CLIENT_OBJECT_ID } from './permissionRoutes';
