/** The only two IPC channels: calls (renderer → main, invoke) and events (main → renderer). */
export const IPC_RPC_CHANNEL = 'lgc:rpc';
export const IPC_EVENT_CHANNEL = 'lgc:event';
