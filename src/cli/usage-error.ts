/** Bad command-line usage: printed as one sentence, exit code 2. */
export class UsageError extends Error {}

/** The app could not be started or no agent connected: exit code 3. */
export class StartError extends Error {}
