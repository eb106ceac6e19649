//! proptest strategies for every message and frame.

use bytes::Bytes;
use pgoutput::{
    Begin, BeginPrepare, Column, Commit, CommitPrepared, Delete, HotStandbyFeedback, Insert,
    LogicalMessage, Lsn, Message, Name, OldTuple, Origin, Prepare, PrimaryKeepalive, Relation,
    ReplicaIdentity, ReplicationMessage, RollbackPrepared, StandbyStatusUpdate, StreamAbort,
    StreamAbortInfo, StreamCommit, StreamStart, StreamStop, Truncate, Tuple, TupleData, Type,
    Update, XLogData,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

pub fn lsn() -> impl Strategy<Value = Lsn> {
    prop_oneof![Just(Lsn::ZERO), Just(Lsn::MAX), any::<u64>().prop_map(Lsn)]
}

pub fn time() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), Just(i64::MIN), Just(i64::MAX), any::<i64>()]
}

pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// Names of any bytes but NUL, UTF-8 or not.
pub fn name() -> impl Strategy<Value = Name> {
    vec(1u8..=255, 0..12).prop_map(|b| Name::new(b).unwrap_or_default())
}

pub fn tuple_data() -> impl Strategy<Value = TupleData> {
    prop_oneof![
        Just(TupleData::Null),
        Just(TupleData::UnchangedToast),
        bytes(16).prop_map(TupleData::Text),
        bytes(16).prop_map(TupleData::Binary),
    ]
}

pub fn tuple() -> impl Strategy<Value = Tuple> {
    vec(tuple_data(), 0..8).prop_map(|c| Tuple::from_columns(c).unwrap_or_default())
}

pub fn old_tuple() -> impl Strategy<Value = OldTuple> {
    prop_oneof![
        tuple().prop_map(OldTuple::Key),
        tuple().prop_map(OldTuple::Full)
    ]
}

fn replica_identity() -> impl Strategy<Value = ReplicaIdentity> {
    prop_oneof![
        Just(ReplicaIdentity::Default),
        Just(ReplicaIdentity::Nothing),
        Just(ReplicaIdentity::Full),
        Just(ReplicaIdentity::Index),
    ]
}

fn column() -> impl Strategy<Value = Column> {
    (any::<u8>(), name(), any::<u32>(), any::<i32>()).prop_map(
        |(flags, name, type_oid, type_modifier)| Column {
            flags,
            name,
            type_oid,
            type_modifier,
        },
    )
}

fn prepare() -> impl Strategy<Value = Prepare> {
    (any::<u8>(), lsn(), lsn(), time(), any::<u32>(), name()).prop_map(
        |(flags, prepare_lsn, end_lsn, prepare_time, xid, gid)| Prepare {
            flags,
            prepare_lsn,
            end_lsn,
            prepare_time,
            xid,
            gid,
        },
    )
}

/// A message, and whether it belongs in a streamed block: the messages that
/// may carry a streamed xid get one exactly when inside a block.
pub fn message() -> impl Strategy<Value = (Message, bool)> {
    any::<bool>().prop_flat_map(|in_stream| {
        let xid = move || -> BoxedStrategy<Option<u32>> {
            if in_stream {
                any::<u32>().prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            }
        };
        let message = prop_oneof![
            (lsn(), time(), any::<u32>()).prop_map(|(final_lsn, commit_time, xid)| Message::Begin(
                Begin {
                    final_lsn,
                    commit_time,
                    xid
                }
            )),
            (any::<u8>(), lsn(), lsn(), time()).prop_map(
                |(flags, commit_lsn, end_lsn, commit_time)| {
                    Message::Commit(Commit {
                        flags,
                        commit_lsn,
                        end_lsn,
                        commit_time,
                    })
                }
            ),
            (lsn(), name())
                .prop_map(|(commit_lsn, name)| Message::Origin(Origin { commit_lsn, name })),
            (
                xid(),
                any::<u32>(),
                name(),
                name(),
                replica_identity(),
                vec(column(), 0..6)
            )
                .prop_map(|(xid, oid, namespace, name, replica_identity, columns)| {
                    Message::Relation(Relation {
                        xid,
                        oid,
                        namespace,
                        name,
                        replica_identity,
                        columns,
                    })
                }),
            (xid(), any::<u32>(), name(), name()).prop_map(|(xid, oid, namespace, name)| {
                Message::Type(Type {
                    xid,
                    oid,
                    namespace,
                    name,
                })
            }),
            (xid(), any::<u32>(), tuple()).prop_map(|(xid, relation_oid, new)| Message::Insert(
                Insert {
                    xid,
                    relation_oid,
                    new
                }
            )),
            (xid(), any::<u32>(), option::of(old_tuple()), tuple()).prop_map(
                |(xid, relation_oid, old, new)| {
                    Message::Update(Update {
                        xid,
                        relation_oid,
                        old,
                        new,
                    })
                }
            ),
            (xid(), any::<u32>(), old_tuple()).prop_map(
                |(xid, relation_oid, old)| Message::Delete(Delete {
                    xid,
                    relation_oid,
                    old
                })
            ),
            (xid(), any::<u8>(), vec(any::<u32>(), 0..6)).prop_map(
                |(xid, options, relation_oids)| {
                    Message::Truncate(Truncate {
                        xid,
                        options,
                        relation_oids,
                    })
                }
            ),
            (xid(), any::<bool>(), lsn(), name(), bytes(32)).prop_map(
                |(xid, transactional, lsn, prefix, content)| Message::Message(LogicalMessage {
                    xid,
                    transactional,
                    lsn,
                    prefix,
                    content,
                })
            ),
            (any::<u32>(), any::<bool>()).prop_map(|(xid, first_segment)| Message::StreamStart(
                StreamStart { xid, first_segment }
            )),
            Just(Message::StreamStop(StreamStop)),
            (any::<u32>(), any::<u8>(), lsn(), lsn(), time()).prop_map(
                |(xid, flags, commit_lsn, end_lsn, commit_time)| Message::StreamCommit(
                    StreamCommit {
                        xid,
                        flags,
                        commit_lsn,
                        end_lsn,
                        commit_time,
                    }
                )
            ),
            (any::<u32>(), any::<u32>(), option::of((lsn(), time()))).prop_map(
                |(xid, subxid, info)| {
                    Message::StreamAbort(StreamAbort {
                        xid,
                        subxid,
                        abort_info: info.map(|(abort_lsn, abort_time)| StreamAbortInfo {
                            abort_lsn,
                            abort_time,
                        }),
                    })
                }
            ),
            (lsn(), lsn(), time(), any::<u32>(), name()).prop_map(
                |(prepare_lsn, end_lsn, prepare_time, xid, gid)| Message::BeginPrepare(
                    BeginPrepare {
                        prepare_lsn,
                        end_lsn,
                        prepare_time,
                        xid,
                        gid,
                    }
                )
            ),
            prepare().prop_map(Message::Prepare),
            (any::<u8>(), lsn(), lsn(), time(), any::<u32>(), name()).prop_map(
                |(flags, commit_lsn, end_lsn, commit_time, xid, gid)| Message::CommitPrepared(
                    CommitPrepared {
                        flags,
                        commit_lsn,
                        end_lsn,
                        commit_time,
                        xid,
                        gid,
                    }
                )
            ),
            (
                any::<u8>(),
                lsn(),
                lsn(),
                time(),
                time(),
                any::<u32>(),
                name()
            )
                .prop_map(
                    |(
                        flags,
                        prepare_end_lsn,
                        rollback_end_lsn,
                        prepare_time,
                        rollback_time,
                        xid,
                        gid,
                    )| {
                        Message::RollbackPrepared(RollbackPrepared {
                            flags,
                            prepare_end_lsn,
                            rollback_end_lsn,
                            prepare_time,
                            rollback_time,
                            xid,
                            gid,
                        })
                    }
                ),
            prepare().prop_map(Message::StreamPrepare),
        ];
        message.prop_map(move |m| (m, in_stream))
    })
}

pub fn replication_message() -> impl Strategy<Value = ReplicationMessage> {
    prop_oneof![
        (lsn(), lsn(), time(), bytes(64)).prop_map(|(wal_start, wal_end, send_time, data)| {
            ReplicationMessage::XLogData(XLogData {
                wal_start,
                wal_end,
                send_time,
                data,
            })
        }),
        (lsn(), time(), any::<bool>()).prop_map(|(wal_end, send_time, reply_requested)| {
            ReplicationMessage::PrimaryKeepalive(PrimaryKeepalive {
                wal_end,
                send_time,
                reply_requested,
            })
        }),
    ]
}

pub fn standby_status_update() -> impl Strategy<Value = StandbyStatusUpdate> {
    (lsn(), lsn(), lsn(), time(), any::<bool>()).prop_map(
        |(write, flush, apply, send_time, reply_requested)| StandbyStatusUpdate {
            write,
            flush,
            apply,
            send_time,
            reply_requested,
        },
    )
}

pub fn hot_standby_feedback() -> impl Strategy<Value = HotStandbyFeedback> {
    (
        time(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(send_time, xmin, xmin_epoch, catalog_xmin, catalog_xmin_epoch)| HotStandbyFeedback {
                send_time,
                xmin,
                xmin_epoch,
                catalog_xmin,
                catalog_xmin_epoch,
            },
        )
}
