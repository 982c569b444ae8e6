import * as vscode from 'vscode';

/** API keys live in VS Code's SecretStorage only: never in settings, workspace state, logs or trajectories. */
export class ApiKeys {
  constructor(private readonly storage: vscode.SecretStorage) {}

  /** One key per endpoint, so switching endpoints never sends a key to the wrong server. */
  private static keyName(endpoint: string): string {
    return `rolloutStudio.apiKey:${endpoint}`;
  }

  get(endpoint: string): Thenable<string | undefined> {
    return this.storage.get(ApiKeys.keyName(endpoint));
  }

  async set(endpoint: string, key: string): Promise<void> {
    await this.storage.store(ApiKeys.keyName(endpoint), key);
  }

  async delete(endpoint: string): Promise<void> {
    await this.storage.delete(ApiKeys.keyName(endpoint));
  }
}
