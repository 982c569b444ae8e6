/** Results in a folder every worker mounts (NFS, SMB …): the recorder writes there directly, nothing to copy. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TRAJECTORY_FILE } from '../trajectory/reader';
import type { ResultStore } from './resultStore';

export class SharedFolderStore implements ResultStore {
  constructor(readonly localDir: string) {}

  trajectoryLocation(runId: string): string {
    return join(this.localDir, runId, TRAJECTORY_FILE);
  }

  async fetchRun(): Promise<void> {}

  async pushFile(): Promise<void> {}

  async pushRun(): Promise<void> {}

  async removeRun(runId: string): Promise<void> {
    await rm(join(this.localDir, runId), { recursive: true, force: true });
  }
}
