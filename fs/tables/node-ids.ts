/**
 * The node ids the kernel holds, with their lookup counts (nlookup): what FUSE names a node by.
 *
 * A node is either *stable* (one node id while the kernel remembers it, so one kernel inode shared
 * by every lookup) or *per-lookup* (a fresh node id on every LOOKUP, so every open gets its own
 * kernel inode). Directories are stable. Files are per-lookup (and answered with entry_valid = 0,
 * fs/operations.ts): a WRITE blocked in one open (a semaphore wait) holds that inode's i_rwsem, and
 * `echo x > file` (O_TRUNC: do_truncate takes the inode lock before the filesystem sees anything)
 * or `cat file` from another process must not sleep behind it. attr.ino stays the node's own, so
 * stat shows one stable inode number either way. A node may declare otherwise (`FsNode.nodeIds`):
 * an object whose opens must share one inode (shared memory's page cache) is stable.
 *
 * Node ids are never reused, so the generation is always 0.
 */
import { FUSE_ROOT_ID } from '../fuse/abi.js';
import { Errno, fail } from '../fuse/errno.js';
import type { DirNode, FsNode, NodeIdRule } from '../tree/node.js';

/** A node's rule, or the default by kind: stable for directories, per-lookup for the rest. */
export function nodeIdsOf(node: FsNode): NodeIdRule {
  return node.nodeIds ?? (node.kind === 'dir' ? 'stable' : 'per-lookup');
}

interface NodeRef {
  node: FsNode;
  /** lookups the kernel has not forgotten yet */
  nlookup: number;
}

export class NodeIds {
  private readonly refs = new Map<number, NodeRef>();
  /** The node id of each stable node the kernel knows. */
  private readonly stableIds = new Map<FsNode, number>();
  private nextId = FUSE_ROOT_ID + 1;

  /** The root is FUSE_ROOT_ID, looked up once by the mount itself and never forgotten. */
  constructor(root: DirNode) {
    this.refs.set(FUSE_ROOT_ID, { node: root, nlookup: 1 });
    this.stableIds.set(root, FUSE_ROOT_ID);
  }

  /** Node ids the kernel holds (STATFS counts them as files). */
  get size(): number {
    return this.refs.size;
  }

  /** The node behind nodeid; ESTALE for one the kernel forgot (or never had). */
  node(nodeid: number): FsNode {
    const ref = this.refs.get(nodeid);
    if (!ref) fail(Errno.ESTALE, `unknown node id ${nodeid}`);
    return ref.node;
  }

  /** Counts one lookup of node (a LOOKUP, CREATE, MKNOD or MKDIR reply) and returns its node id. */
  remember(node: FsNode): number {
    const stable = nodeIdsOf(node) === 'stable';
    if (stable) {
      const id = this.stableIds.get(node);
      if (id !== undefined) {
        this.refs.get(id)!.nlookup++;
        return id;
      }
    }
    const id = this.nextId++;
    this.refs.set(id, { node, nlookup: 1 });
    if (stable) this.stableIds.set(node, id);
    return id;
  }

  /** FORGET: the kernel dropped nlookup of its references; at 0 the id is gone. The root stays. */
  forget(nodeid: number, nlookup: number): void {
    const ref = this.refs.get(nodeid);
    if (!ref || nodeid === FUSE_ROOT_ID) return;
    ref.nlookup -= nlookup;
    if (ref.nlookup > 0) return;
    this.refs.delete(nodeid);
    if (this.stableIds.get(ref.node) === nodeid) this.stableIds.delete(ref.node);
  }
}
