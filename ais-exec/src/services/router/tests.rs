//! The router's quorum rule with a fake service: while the partition is not
//! quorate (votequorum(5)) an ordered request, a change of replicated
//! state, is refused in its busy reply's shape, TRY_AGAIN for B.01 handles
//! and UNAVAILABLE where the handle's version defines it; requests answered
//! now (reads) go on; without `quorum { }` nothing is refused.

use super::*;
use crate::daemon::SubmitError;
use crate::ipc::CallbackError;
use crate::services::contract::NodeId;
use ais_proto::status;
use ais_totem::{ConfChange, RingId as TotemRing};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

const WRITE: u16 = 1;
const READ: u16 = 2;

/// Writes are ordered, reads answered now; its busy reply carries a
/// payload, so the refusal's shape can be seen.
struct Store {
    refused: Arc<std::sync::Mutex<Vec<Token>>>,
}

use std::sync::Arc;

impl Service for Store {
    fn id(&self) -> ServiceId {
        ServiceId(40)
    }
    fn version(&self) -> AisVersion {
        AisVersion::new(b'B', 3, 1)
    }
    fn disconnected(&mut self, _: ConnId) -> Output {
        Vec::new()
    }
    fn request(&mut self, _: ConnId, msg: u16, _: &[u8], _: &dyn HostView) -> Handling {
        match msg {
            WRITE => Handling::Ordered {
                message: vec![9],
                token: Token(7),
                accepted: None,
            },
            _ => Handling::reply(Reply::status(status::OK)),
        }
    }
    fn refused(&mut self, token: Token) -> Output {
        self.refused.lock().unwrap().push(token);
        Vec::new()
    }
    fn busy(&self, msg: u16) -> Reply {
        Reply {
            status: status::TRY_AGAIN,
            payload: vec![msg as u8, 0xbb],
        }
    }
    fn delivered(&mut self, _: NodeId, _: &[u8], _: u64) -> Output {
        Vec::new()
    }
}

struct FakeHandle(ConnId, AisVersion);

impl Handle for FakeHandle {
    fn conn(&self) -> ConnId {
        self.0
    }
    fn service(&self) -> ServiceId {
        ServiceId(40)
    }
    fn pid(&self) -> u32 {
        1
    }
    fn uid(&self) -> Option<u32> {
        Some(1000)
    }
    fn version(&self) -> AisVersion {
        self.1
    }
    fn callback(&self, _: u16, _: u32, _: Bytes) -> Result<(), CallbackError> {
        Ok(())
    }
    fn credit(&self, _: u64) {}
    fn disconnect(&self) {}
    fn callback_backlog(&self) -> usize {
        0
    }
}

type Answers = Rc<RefCell<Vec<(u32, Vec<u8>)>>>;

struct FakeResponder(ConnId, Answers);

impl Respond for FakeResponder {
    fn conn(&self) -> ConnId {
        self.0
    }
    fn expects_reply(&self) -> bool {
        true
    }
    fn respond(self, status: u32, payload: Bytes) {
        self.1.borrow_mut().push((status, payload.to_vec()));
    }
}

#[derive(Default)]
struct FakeHost {
    sent: usize,
}

impl HostView for FakeHost {
    fn ring_status(&self) -> ais_proto::cfg::RingStatus {
        Default::default()
    }
}

impl Host for FakeHost {
    fn submit(&mut self, _: Bytes, _: Guarantee) -> Result<(), SubmitError> {
        self.sent += 1;
        Ok(())
    }
    fn now(&self) -> u64 {
        0
    }
    fn queue_sizes(&self) -> (usize, usize) {
        (0, 0)
    }
}

struct Bed {
    router: Router<FakeHandle, FakeResponder>,
    host: FakeHost,
    answers: Answers,
    refused: Arc<std::sync::Mutex<Vec<Token>>>,
}

fn bed(quorum: Option<QuorumConfig>) -> Bed {
    let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = Store {
        refused: refused.clone(),
    };
    let mut b = Bed {
        router: Router::new(vec![Box::new(store)]).with_quorum(quorum),
        host: FakeHost::default(),
        answers: Rc::default(),
        refused,
    };
    for (conn, v) in [(1, AisVersion::new(b'B', 1, 1)), (2, AisVersion::new(b'B', 3, 1))] {
        b.router
            .on_request(&mut b.host, Event::Connected(FakeHandle(ConnId(conn), v)));
    }
    b
}

impl Bed {
    fn ring(&mut self, seq: u64, members: &[NodeId]) {
        let c = ConfChange {
            kind: ConfKind::Regular,
            ring_id: TotemRing { rep: members[0], seq },
            old_ring_id: None,
            members: members.to_vec(),
            left: vec![],
            joined: vec![],
        };
        self.router.on_event(&mut self.host, &ClusterEvent::ConfChange(c));
    }

    /// Sends one request; its answer if it was answered at once.
    fn ask(&mut self, conn: u64, msg: u16) -> Option<(u32, Vec<u8>)> {
        let before = self.answers.borrow().len();
        let r = Request {
            conn: ConnId(conn),
            service: ServiceId(40),
            msg,
            payload: Bytes::new(),
            responder: FakeResponder(ConnId(conn), self.answers.clone()),
        };
        self.router.on_request(&mut self.host, Event::Request(r));
        self.answers.borrow().get(before).cloned()
    }
}

fn five() -> QuorumConfig {
    QuorumConfig {
        expected_votes: 5,
        two_node: false,
        wait_for_all: None,
        votes: BTreeMap::new(),
    }
}

#[test]
fn not_quorate_refuses_ordered_requests_in_the_busy_shape() {
    let mut b = bed(Some(five()));
    b.ring(1, &[4, 5]);
    assert!(!b.router.quorate());
    let sent = b.host.sent;
    // B.01 handle: TRY_AGAIN; B.03 handle: UNAVAILABLE; busy's payload.
    assert_eq!(b.ask(1, WRITE), Some((status::TRY_AGAIN, vec![WRITE as u8, 0xbb])));
    assert_eq!(b.ask(2, WRITE), Some((status::UNAVAILABLE, vec![WRITE as u8, 0xbb])));
    assert_eq!(b.host.sent, sent, "nothing multicast");
    assert_eq!(*b.refused.lock().unwrap(), vec![Token(7), Token(7)]);
    // Reads go on.
    assert_eq!(b.ask(1, READ), Some((status::OK, vec![])));
}

#[test]
fn quorate_partition_orders_requests() {
    let mut b = bed(Some(five()));
    b.ring(1, &[1, 2, 3]);
    assert!(b.router.quorate());
    let sent = b.host.sent;
    assert_eq!(b.ask(2, WRITE), None, "kept for the service's answer");
    assert_eq!(b.host.sent, sent + 1);
    assert!(b.refused.lock().unwrap().is_empty());
    // Quorum lost: refused again.
    b.ring(2, &[1, 2]);
    assert_eq!(b.ask(2, WRITE).map(|a| a.0), Some(status::UNAVAILABLE));
}

#[test]
fn without_a_quorum_section_nothing_is_refused() {
    let mut b = bed(None);
    b.ring(1, &[5]);
    assert!(b.router.quorate());
    assert_eq!(b.ask(1, WRITE), None);
    assert!(b.refused.lock().unwrap().is_empty());
}
