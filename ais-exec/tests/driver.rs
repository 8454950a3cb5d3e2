//! The driver's public API as the IPC server and services will use it: two
//! ordering tasks in one process over real UDP on loopback, a service host
//! on each, submissions from handles and from inside the host, the event
//! subscription, the membership watch, status and shutdown.

mod common;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ais_exec::daemon::peers::Peers;
use ais_exec::daemon::transport::Mode;
use ais_exec::daemon::{
    Clock, ClusterEvent, DaemonHandle, Driver, HostCtx, MemoryStore, Plain, ServiceHost, Sockets, SubmitError,
    Transport, TransportConfig,
};
use ais_totem::{Guarantee, NodeId, Options, State, Totem, TotemConfig, MAX_MESSAGE_SIZE};
use bytes::Bytes;
use common::free_port;

/// Records what it is given, in order; a request is a payload it submits
/// from inside the ordering task.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<ClusterEvent>>>);

impl ServiceHost for Recorder {
    type Request = Bytes;
    fn on_event(&mut self, _: &mut HostCtx<'_>, event: &ClusterEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
    fn on_request(&mut self, ctx: &mut HostCtx<'_>, request: Bytes) {
        assert!(ctx.membership().installed, "requests are only sent once a ring is up");
        ctx.submit(request, Guarantee::Agreed)
            .expect("room in the core's queue");
    }
}

impl Recorder {
    fn payloads(&self) -> Vec<(NodeId, Bytes)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                ClusterEvent::Deliver(d) => Some((d.sender, d.data.clone())),
                _ => None,
            })
            .collect()
    }
}

fn node(addr: &str, port: u16, members: &[IpAddr]) -> (Driver<Recorder>, DaemonHandle<Bytes>, Recorder) {
    node_with(addr, port, members, Options::default())
}

fn node_with(
    addr: &str,
    port: u16,
    members: &[IpAddr],
    opts: Options,
) -> (Driver<Recorder>, DaemonHandle<Bytes>, Recorder) {
    let local: IpAddr = addr.parse().unwrap();
    let cfg = TransportConfig {
        local,
        ifname: "lo".into(),
        port,
        mode: Mode::Unicast {
            members: members.to_vec(),
        },
    };
    let id = ais_exec::daemon::nodeid::from_address(local, false).unwrap();
    let mut peers = Peers::new(id, local, port, cfg.reach());
    for m in members {
        peers.seed(ais_exec::daemon::nodeid::from_address(*m, false).unwrap(), *m);
    }
    let transport = Transport::new(id, Sockets::bind(&cfg).unwrap(), peers, Box::new(Plain)).unwrap();
    let clock = Clock::new();
    let totem = Totem::new(
        TotemConfig::from_token(2000, 4),
        id,
        0,
        Options {
            seed: u64::from(id),
            ..opts
        },
        clock.now(),
    )
    .unwrap();
    let host = Recorder::default();
    let (driver, handle) = Driver::new(totem, transport, host.clone(), clock, Box::new(MemoryStore::default()));
    (driver, handle, host)
}

/// A runtime and a port free on 127.0.0.1 for a one-node test, or None
/// (the test says it is skipped) when there is no such port.
fn one_node(test: &str) -> Option<(tokio::runtime::Runtime, u16)> {
    let port = match free_port(&["127.0.0.1"]) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            return None;
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    Some((rt, port))
}

async fn until_members(h: &DaemonHandle<Bytes>, n: usize) {
    let mut w = h.watch_membership();
    tokio::time::timeout(
        Duration::from_secs(30),
        w.wait_for(|m| m.installed && m.members.len() == n),
    )
    .await
    .expect("ring formed in time")
    .expect("driver running");
}

#[test]
fn two_ordering_tasks_agree() {
    let addrs = ["127.0.0.1", "127.0.0.2"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED two_ordering_tasks_agree: needs 127.0.0.1-2 bindable ({why})");
            return;
        }
    };
    let members: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (da, ha, ra) = node(addrs[0], port, &members);
        let (db, hb, rb) = node(addrs[1], port, &members);
        assert!(!ha.membership().installed, "nothing installed before the driver runs");
        let ta = tokio::spawn(da.run());
        let tb = tokio::spawn(db.run());
        until_members(&ha, 2).await;
        until_members(&hb, 2).await;
        assert_eq!(ha.membership().members, vec![0x7f000001, 0x7f000002]);
        assert_eq!(ha.membership().ring_id, hb.membership().ring_id);

        let mut sub = hb.subscribe();
        // Oversized messages are refused up front.
        let big = Bytes::from(vec![0u8; MAX_MESSAGE_SIZE + 1]);
        assert_eq!(
            ha.try_submit(big.clone(), Guarantee::Agreed),
            Err(SubmitError::TooLarge)
        );
        assert_eq!(ha.submit(big, Guarantee::Agreed).await, Err(SubmitError::TooLarge));

        // Interleave: A through its handle, B through its service host.
        const N: usize = 200;
        let plain_sender = hb.request_sender();
        for i in 0..N {
            ha.submit(
                Bytes::from(format!("a{i}")),
                if i % 2 == 0 { Guarantee::Agreed } else { Guarantee::Safe },
            )
            .await
            .unwrap();
            let b = Bytes::from(format!("b{i}"));
            if i % 2 == 0 {
                hb.request(b).await.unwrap();
            } else {
                plain_sender.send(b).await.unwrap();
            }
        }
        let all = |r: &Recorder| r.payloads().len() == 2 * N;
        tokio::time::timeout(Duration::from_secs(30), async {
            while !(all(&ra) && all(&rb)) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("every message delivered on both nodes");
        let (pa, pb) = (ra.payloads(), rb.payloads());
        assert_eq!(pa, pb, "the same agreed order on both nodes");
        // Each sender's messages in the order submitted.
        for (who, id) in [("a", 0x7f000001), ("b", 0x7f000002)] {
            let mine: Vec<Bytes> = pa.iter().filter(|(s, _)| *s == id).map(|(_, d)| d.clone()).collect();
            let want: Vec<Bytes> = (0..N).map(|i| Bytes::from(format!("{who}{i}"))).collect();
            assert_eq!(mine, want);
        }
        // The subscriber saw the same deliveries, in the same order.
        let mut seen = Vec::new();
        while seen.len() < 2 * N {
            match sub.recv().await.unwrap() {
                ClusterEvent::Deliver(d) => seen.push((d.sender, d.data)),
                ClusterEvent::ConfChange(_) => {}
            }
        }
        assert_eq!(seen, pb);

        let st = ha.status().await.unwrap();
        assert_eq!(st.node_id, 0x7f000001);
        assert_eq!(st.members, vec![0x7f000001, 0x7f000002]);
        assert_eq!(st.state, State::Operational);
        assert!(st.stats.messages_delivered >= 2 * N as u64);

        // A leaves: B sees a ring of one long before its 2 s token timeout.
        let started = tokio::time::Instant::now();
        ha.shutdown();
        let host_a = tokio::time::timeout(Duration::from_secs(5), ta).await.unwrap().unwrap();
        assert_eq!(host_a.payloads().len(), 2 * N);
        until_members(&hb, 1).await;
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "took {:?}",
            started.elapsed()
        );
        assert!(ha.status().await.is_none(), "a stopped driver answers nothing");
        assert_eq!(
            ha.try_submit(Bytes::from_static(b"x"), Guarantee::Agreed),
            Err(SubmitError::Stopped)
        );
        // B's events end with the transitional and regular configurations.
        let events = rb.0.lock().unwrap().clone();
        let confs: Vec<_> = events
            .iter()
            .rev()
            .take(2)
            .map(|e| match e {
                ClusterEvent::ConfChange(c) => (c.kind, c.members.clone()),
                other => panic!("not a configuration: {other:?}"),
            })
            .collect();
        assert_eq!(
            confs,
            vec![
                (ais_totem::ConfKind::Regular, vec![0x7f000002]),
                (ais_totem::ConfKind::Transitional, vec![0x7f000002])
            ]
        );
        hb.shutdown();
        tokio::time::timeout(Duration::from_secs(5), tb).await.unwrap().unwrap();
    });
}

/// Back-pressure: a driver that does not keep up fills the submission queue
/// and `try_submit` answers `TryAgain` (SA_AIS_ERR_TRY_AGAIN), `submit`
/// waits; once the driver is gone both answer `Stopped`.
#[test]
fn full_queues_answer_try_again() {
    let Some((rt, port)) = one_node("full_queues_answer_try_again") else {
        return;
    };
    rt.block_on(async {
        let me: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap()];
        let (driver, h, _) = node("127.0.0.1", port, &me);
        let msg = || Bytes::from_static(b"m");
        for _ in 0..ais_exec::daemon::driver::SUBMIT_QUEUE {
            h.try_submit(msg(), Guarantee::Agreed).unwrap();
        }
        assert_eq!(h.try_submit(msg(), Guarantee::Agreed), Err(SubmitError::TryAgain));
        assert!(
            tokio::time::timeout(Duration::from_millis(50), h.submit(msg(), Guarantee::Agreed))
                .await
                .is_err(),
            "submit waits while the queue is full"
        );
        for _ in 0..ais_exec::daemon::driver::REQUEST_QUEUE {
            h.try_request(msg()).unwrap();
        }
        assert_eq!(h.try_request(msg()), Err(SubmitError::TryAgain));
        drop(driver);
        assert_eq!(h.try_submit(msg(), Guarantee::Agreed), Err(SubmitError::Stopped));
        assert_eq!(h.submit(msg(), Guarantee::Agreed).await, Err(SubmitError::Stopped));
        assert_eq!(h.request(msg()).await, Err(SubmitError::Stopped));
        assert!(h.status().await.is_none());
    });
}

/// A core whose send queue holds 4 messages: a burst of submissions waits
/// in the driver (parked) instead of being lost, and arrives in order.
#[test]
fn a_full_core_queue_parks_submissions() {
    let addrs = ["127.0.0.1", "127.0.0.2"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED a_full_core_queue_parks_submissions: needs 127.0.0.1-2 bindable ({why})");
            return;
        }
    };
    let members: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tiny = Options {
            send_queue_messages: 4,
            ..Options::default()
        };
        let (da, ha, ra) = node_with(addrs[0], port, &members, tiny);
        let (db, hb, rb) = node(addrs[1], port, &members);
        let ta = tokio::spawn(da.run());
        let tb = tokio::spawn(db.run());
        until_members(&ha, 2).await;
        until_members(&hb, 2).await;
        const N: usize = 2000;
        for i in 0..N {
            ha.submit(Bytes::from(format!("{i}")), Guarantee::Agreed).await.unwrap();
        }
        let want: Vec<(NodeId, Bytes)> = (0..N).map(|i| (0x7f000001, Bytes::from(format!("{i}")))).collect();
        tokio::time::timeout(Duration::from_secs(60), async {
            while ra.payloads().len() < N || rb.payloads().len() < N {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("every message delivered on both nodes");
        assert_eq!(ra.payloads(), want);
        assert_eq!(rb.payloads(), want);
        let st = ha.status().await.unwrap();
        assert!(st.submissions_parked > 0, "the core's queue never filled: {st:?}");
        ha.shutdown();
        hb.shutdown();
        tokio::time::timeout(Duration::from_secs(5), ta).await.unwrap().unwrap();
        tokio::time::timeout(Duration::from_secs(5), tb).await.unwrap().unwrap();
    });
}

/// With `secauth: off` nothing authenticates a datagram: one that is not
/// Totem's (random junk, another program's traffic on the port) is dropped
/// and counted in `datagrams_rejected`, the counter `ais-cfgtool -s` shows,
/// as a datagram the codec refuses is counted when secauth is on.
#[test]
fn junk_datagrams_are_counted_without_secauth() {
    let Some((rt, port)) = one_node("junk_datagrams_are_counted_without_secauth") else {
        return;
    };
    rt.block_on(async {
        let me: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap()];
        let (driver, h, _) = node("127.0.0.1", port, &me);
        let task = tokio::spawn(driver.run());
        until_members(&h, 1).await;
        let before = h.status().await.unwrap().stats.datagrams_rejected;
        let junk: [&[u8]; 4] = [
            b"\x00",
            b"random junk that is no Totem datagram at all",
            &[0xff; 300],
            // Totem's magic with a node id of 0: no sender.
            &[0x7a, 0x51, 0x01, 0x00, 0, 0, 0, 0, 1, 2, 3, 4],
        ];
        let s = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        for j in junk {
            s.send_to(j, ("127.0.0.1", port)).unwrap();
        }
        let counted = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let n = h.status().await.unwrap().stats.datagrams_rejected;
                if n >= before + junk.len() as u64 {
                    return n;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        assert_eq!(
            counted.map(|n| n - before),
            Ok(junk.len() as u64),
            "each junk datagram counted once"
        );
        assert!(h.membership().installed, "the ring runs on");
        h.shutdown();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    });
}
