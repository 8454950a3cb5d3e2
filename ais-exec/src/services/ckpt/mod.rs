//! The checkpoint service (SA Forum AIS CKPT B.01.01/B.02.03), the executive
//! side: a replicated state machine of named checkpoints and their sections,
//! fed the same ordered messages on every node.
//!
//! - [`state`]: the checkpoints, what each ordered message does to them, the
//!   re-synchronisation after configuration changes, and the answers given
//!   from the local replica (read, status, iteration).
//! - [`service`]: client requests in (the IPC protocol of
//!   [`ais_proto::ckpt`]), cluster messages, replies and callbacks out.
//! - [`wire`]: the cluster messages and their bounds-checked encoding.
//!
//! # Replication
//!
//! Every node holds a replica of every checkpoint, whatever its
//! `SA_CKPT_WR_*` option: every change (open, close, unlink, retention,
//! active replica, section create/delete/expiration, write, overwrite,
//! synchronize) is multicast and applied by every node in agreed order, and
//! the client's response is sent when this node applies its own message (the
//! result is computed there, the same on every node). Reads, status and
//! iteration are answered from the local replica, never multicast; a client
//! that got its write's response reads it back from any node. All replicas
//! are active, so `saCkptCheckpointSynchronize` is a barrier: it completes
//! when its own message is delivered, after every change ordered before it.
//! A collocated checkpoint of an asynchronous option is unusable (NOT_EXIST)
//! until `saCkptActiveReplicaSet`, as in openais.
//!
//! # Lifetime
//!
//! Each node counts the references its clients hold on each checkpoint; the
//! counts are part of the replicated state. Unlink frees the name at once; the
//! data lives until the last close. After the last close of a linked
//! checkpoint its retention duration runs: the lowest node of the ring then
//! multicasts its deletion (naming the epoch in which it became unreferenced,
//! so a re-open, a retention change or a newer close in between cancels it).
//! Expired sections (absolute `SaTimeT`) are deleted the same way. A client
//! that disconnects has its checkpoints closed; a node that leaves the ring
//! has its references dropped at the next synchronisation, and the retention
//! of checkpoints left unreferenced starts then (a configuration change also
//! restarts the timers on nodes that did not hold them already).
//!
//! # Synchronisation
//!
//! On the sync engine ([`crate::services::sync`], pieces in [`sync`]). Each
//! member sends its side (the ring of its last completed round, or itself
//! alone if a round was cut short since) and its own references; the lowest
//! member that came from its previous ring with others sends their
//! checkpoints when nodes joined, and a member alone sends its own. At
//! activate every node merges alike (saCkpt(3), PARTITIONS): each
//! checkpoint counts its applied changes, the copy with the most wins, a tie
//! goes to the side whose old ring had the lowest representative, a
//! checkpoint only one side held is kept; references are counted afresh
//! from each member's own (those of a copy that lost go to the winner of the
//! same name); staged pieces of large changes are dropped. Meanwhile the
//! engine answers TRY_AGAIN and holds the changes ordered; a round cut short
//! drops them everywhere (their senders answer TRY_AGAIN, closes are sent
//! again).
//!
//! # Limits
//!
//! Names ≤ 256 bytes, section ids ≤ `maxSectionIdSize` (and 65535), one
//! request ≤ [`ais_proto::ckpt::MAX_UPDATE_PAYLOAD`], responses ≤ 1 MiB
//! (reads and iterations continue). The executive's own limits are
//! [`limits::CkptLimits`] (openais.conf `checkpoint { }`): open checkpoints
//! per connection, and cluster-wide checkpoints, sections, bytes of section
//! data and ids, and bytes of pieced changes staged
//! (SA_AIS_ERR_NO_RESOURCES beyond; a merge may exceed them, which only
//! refuses further growth).
//!
//! # Large changes
//!
//! A write, overwrite or section creation larger than one request comes as
//! PIECEs: each is multicast as it arrives (nothing is buffered per
//! connection, so the origin holds no more than the other nodes), and every
//! node stages them ([`pieces`]) and applies the whole change when the last
//! is delivered: no read on any node sees a prefix. The IPC frame limit
//! (1 MiB by default) is why the library sends pieces rather than one
//! request the executive would cut. Pieces of a node that leaves the
//! configuration, of a client that disconnects (PIECE_ABORT) or after one
//! that could not be sent are dropped on every node alike.

//! # Tracking
//!
//! B.02.03's `saCkptTrack` and `saCkptCheckpointTrack` are local to a node:
//! each connection's tracking (all its checkpoint ids, or some) is kept by
//! the service, never replicated. When a node applies a write, overwrite,
//! section creation or section deletion (also by expiration) it sends a
//! TRACK_CALLBACK to each of its own connections tracking a checkpoint id of
//! that checkpoint, naming the ranges changed. The state describes its
//! changes only while some connection tracks.

pub mod limits;
pub mod pieces;
pub mod service;
pub mod state;
pub mod sync;
pub mod wire;
