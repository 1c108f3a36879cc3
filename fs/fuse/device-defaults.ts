/** The device's defaults that the command line shows before the session code is loaded (device.ts). */
export const DEFAULT_BUSY_POLL_US = 50;
