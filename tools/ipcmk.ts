/** `ipcfs ipcmk`: placeholder until issue 9's helper lands it (tools/ipcfs.ts RAW_TOOLS). */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('ipcmk: not implemented yet\n');
  return 1;
}
