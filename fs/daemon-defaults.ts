/** The daemon's defaults that the command line shows before anything is loaded. */
export const DEFAULT_MOUNTPOINT = '/mnt/ipc';
