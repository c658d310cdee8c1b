import type { CatalogIndex } from '../catalog/loader';
import type { Clock, Directory, Logger, Notifier, Provisioner, RequestStore } from './ports';

/** Everything the use-cases reach the world through; built once by the composition root. */
export interface AppContext {
  catalog: CatalogIndex;
  store: RequestStore;
  directory: Directory;
  provisioner: Provisioner;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  newRequestId(): string;
}
