import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from './config';

export interface AzureCredentials {
  /** For Table Storage through TABLES_ENDPOINT (managed identity, keyless); undefined with a connection string. */
  tables?: TokenCredential;
  /** For Microsoft Graph; undefined only for a loopback Graph (the emulator) without AZURE_* settings. */
  graph?: TokenCredential;
}

/**
 * The credentials the configuration asks for: one DefaultAzureCredential (environment, workload or managed
 * identity, …) shared by Table Storage and Graph, created only when one of them needs it.
 */
export function credentialsFor(config: Config, create: () => TokenCredential = () => new DefaultAzureCredential()): AzureCredentials {
  const needsTables = config.tables.kind === 'endpoint';
  if (!needsTables && !config.graphAuthenticated) return {};
  const credential = create();
  return {
    tables: needsTables ? credential : undefined,
    graph: config.graphAuthenticated ? credential : undefined,
  };
}
