/**
 * The Open POSIX programs that pass natively and, on purpose, not under the interposer: each with
 * the reason and where docs/protocol.md explains the difference. The conformance run
 * (`npm run conformance`) and its CI test fail on any other native PASS that is not an ipcfs PASS.
 *
 * Add an entry only for a difference ipcfs makes on purpose and documents; a defect is fixed, not
 * listed here.
 */
export interface Explained {
  /** why ipcfs's verdict differs */
  reason: string;
  /** the section of docs/protocol.md that documents it, e.g. "docs/protocol.md#c-library" */
  doc: string;
}

/** program id ("mq_open/3-1") -> explanation */
export const EXPLAINED: Record<string, Explained> = {};
