//! Whole-file tests: real configurations, defaults, every error with its
//! line, warnings, and robustness against garbage.

use std::net::IpAddr;
use std::path::PathBuf;

use ais_totem::config::TotemConfig;

use super::*;

const FILE: &str = "/etc/ais/openais.conf";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn read(text: &str) -> (Settings, Vec<Warning>) {
    match Settings::from_str(text, FILE) {
        Ok(r) => r,
        Err(e) => panic!("{e}\n--- in ---\n{text}"),
    }
}

fn fail(text: &str) -> ConfigError {
    match Settings::from_str(text, FILE) {
        Ok((s, _)) => panic!("accepted: {s:?}\n--- in ---\n{text}"),
        Err(e) => e,
    }
}

/// The sample shipped with openais 0.80, rewritten: comments, tabs, a
/// `threads` key, a `logger_subsys`.
const OPENAIS_0_80: &str = "\
# Please read the openais.conf.5 manual page

totem {
\tversion: 2

\t# How long before declaring a token lost (ms)
\ttoken: 3000

\t# How many token retransmits before forming a new configuration
\ttoken_retransmits_before_loss_const: 10

\t# How long to wait for join messages in the membership protocol (ms)
\tjoin: 60

\t# How long to wait for consensus before starting a new membership round (ms)
\tconsensus: 3600

\t# Turn off the virtual synchrony filter
\tvsftype: none

\t# Messages one processor may send on receipt of the token
\tmax_messages: 20

\t# Limit generated node ids to 31 bits
\tclear_node_high_bit: yes

\t# Disable encryption
\tsecauth: off

\t# How many threads to use for encryption/decryption
\tthreads: 0

\t# Optionally assign a fixed node id (integer)
\t# nodeid: 1234

\t# Redundant ring mode: none, active or passive
\trrp_mode: none

\tinterface {
\t\t# The following values need to be set based on your environment
\t\tringnumber: 0
\t\tbindnetaddr: 192.168.2.0
\t\tmcastaddr: 226.94.1.1
\t\tmcastport: 5405
\t}
}

logging {
\tfileline: off
\tto_stderr: yes
\tto_file: yes
\tto_syslog: yes
\tlogfile: /tmp/openais.log
\tdebug: off
\ttimestamp: on
\tlogger_subsys {
\t\tsubsys: AMF
\t\tdebug: off
\t}
}

event {
\tdelivery_queue_size: 1000
\tdelivery_queue_resume: 500
}

amf {
\tmode: disabled
}
";

#[test]
fn openais_0_80_sample() {
    let (s, warnings) = read(OPENAIS_0_80);
    let t = &s.totem;
    assert_eq!(t.version, 2);
    assert!(!t.secauth);
    assert!(t.clear_node_high_bit);
    assert_eq!(t.nodeid, None);
    assert_eq!(t.vsftype, Some(VsfType::None));
    assert_eq!(t.rrp_mode, RrpMode::None);
    assert_eq!(t.transport, Transport::Udp);
    assert_eq!(
        t.protocol,
        TotemConfig {
            token: 3000,
            // 3000 / 10.2, then 0.75 of that: derived, not written.
            token_retransmit: 294,
            hold: 220,
            token_retransmits_before_loss_const: 10,
            join: 60,
            consensus: 3600,
            max_messages: 20,
            ..TotemConfig::default()
        }
    );
    assert_eq!(
        t.interfaces,
        vec![Interface {
            ringnumber: 0,
            bindnetaddr: ip("192.168.2.0"),
            mcastaddr: Some(ip("226.94.1.1")),
            mcastport: 5405,
            ttl: 1,
            members: vec![],
        }]
    );
    assert_eq!(
        s.logging,
        Logging {
            to_stderr: true,
            to_file: true,
            to_syslog: true,
            logfile: Some(PathBuf::from("/tmp/openais.log")),
            debug: false,
            timestamp: true,
            syslog_facility: SyslogFacility::Daemon,
            fileline: false,
            logger_subsys: vec![LoggerSubsys {
                subsys: "AMF".into(),
                debug: false,
                tags: None
            }],
        }
    );
    assert_eq!(
        s.event,
        Event {
            delivery_queue_size: 1000,
            delivery_queue_resume: 500
        }
    );
    assert_eq!(s.amf.mode, AmfMode::Disabled);
    let shown: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        shown,
        vec![format!(
            "{FILE}:31: totem.threads: ignored: the executive orders messages on one task"
        )]
    );
}

const UDPU: &str = "\
totem {
    version: 2
    secauth: on
    transport: udpu
    cluster_name: web
    interface {
        ringnumber: 0
        bindnetaddr: 10.0.0.0
        mcastport: 5405
        member {
            memberaddr: 10.0.0.1
        }
        member {
            memberaddr: 10.0.0.2
        }
        member {
            memberaddr: 10.0.0.3
        }
    }
}
";

#[test]
fn udpu_with_members() {
    let (s, warnings) = read(UDPU);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.totem.transport, Transport::Udpu);
    assert!(s.totem.secauth);
    assert_eq!(s.totem.cluster_name.as_deref(), Some("web"));
    let iface = &s.totem.interfaces[0];
    assert_eq!(iface.mcastaddr, None);
    assert_eq!(
        iface.members.iter().map(|m| m.memberaddr).collect::<Vec<_>>(),
        vec![ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")]
    );
}

#[test]
fn udpu_over_ipv6_with_nodeid() {
    let text = "totem {\n nodeid: 7\n transport: udpu\n interface {\n  bindnetaddr: fd00::\n  member {\n   memberaddr: fd00::1\n  }\n  member {\n   memberaddr: [fd00::2]\n  }\n }\n}\n";
    let (s, _) = read(text);
    assert_eq!(s.totem.nodeid, Some(7));
    assert_eq!(s.totem.interfaces[0].bindnetaddr, ip("fd00::"));
    assert_eq!(s.totem.interfaces[0].members[1].memberaddr, ip("fd00::2"));
}

const MINIMAL: &str = "totem {\n interface {\n  bindnetaddr: 10.0.0.0\n  mcastaddr: 239.1.1.1\n }\n}\n";

#[test]
fn every_default() {
    let (s, warnings) = read(MINIMAL);
    assert!(warnings.is_empty());
    let expected = Settings {
        totem: Totem {
            version: 2,
            secauth: true,
            nodeid: None,
            clear_node_high_bit: false,
            transport: Transport::Udp,
            rrp_mode: RrpMode::None,
            vsftype: None,
            cluster_name: None,
            protocol: TotemConfig::default(),
            interfaces: vec![Interface {
                ringnumber: 0,
                bindnetaddr: ip("10.0.0.0"),
                mcastaddr: Some(ip("239.1.1.1")),
                mcastport: 5405,
                ttl: 1,
                members: vec![],
            }],
        },
        logging: Logging {
            to_stderr: true,
            to_file: false,
            to_syslog: true,
            logfile: None,
            debug: false,
            timestamp: false,
            syslog_facility: SyslogFacility::Daemon,
            fileline: false,
            logger_subsys: vec![],
        },
        event: Event {
            delivery_queue_size: 1000,
            delivery_queue_resume: 500,
        },
        checkpoint: Checkpoint {
            max_checkpoints: 65536,
            max_sections: 1 << 20,
            max_memory: 1 << 30,
            max_staged_per_node: 64 << 20,
            max_staged: 256 << 20,
            max_open_per_connection: 4096,
        },
        amf: Amf {
            mode: AmfMode::Disabled,
        },
        aisexec: AisExec {
            user: "ais".into(),
            group: "ais".into(),
        },
        uidgid: vec![],
        nodes: vec![],
        quorum: None,
        origin: Default::default(),
    };
    assert_eq!(s, expected);
    // The figures themselves, so that a change of TotemConfig's defaults is
    // noticed here too.
    let p = &s.totem.protocol;
    assert_eq!(
        (p.token, p.token_retransmit, p.hold, p.consensus),
        (1000, 238, 180, 1200)
    );
    assert_eq!((p.join, p.send_join, p.merge, p.downcheck), (50, 0, 200, 1000));
    assert_eq!(
        (p.fail_recv_const, p.seqno_unchanged_const, p.miss_count_const),
        (2500, 30, 5)
    );
    assert_eq!((p.window_size, p.max_messages, p.netmtu), (50, 17, 1500));
    // Settings::default is the same minus the interface the file must give.
    assert_eq!(
        Settings {
            totem: Totem {
                interfaces: vec![],
                ..expected.totem.clone()
            },
            ..expected
        },
        Settings::default()
    );
}

#[test]
fn the_consensus_error_reads_exactly_as_documented() {
    let mut text = String::from("# comment\n");
    for _ in 0..9 {
        text.push('\n');
    }
    text.push_str("totem {\n consensus: 1100\n interface {\n  bindnetaddr: 10.0.0.0\n  mcastaddr: 239.1.1.1\n }\n}\n");
    assert_eq!(
        fail(&text).to_string(),
        "/etc/ais/openais.conf:12: totem.consensus: must be at least 1.2 x token (1100 < 1200)"
    );
}

/// Puts `extra` inside `totem { }` of a valid file whose interface is
/// `iface`, so each case's line numbers are easy to count: line 1 is
/// `totem {`, `extra` starts on line 2.
fn totem_with(extra: &str, iface: &str) -> String {
    format!("totem {{\n{extra}interface {{\n{iface}}}\n}}\n")
}

const IFACE: &str = "bindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\n";

#[test]
fn each_error_names_file_line_and_key() {
    let cases: Vec<(String, u32, &str, &str)> = vec![
        // Values.
        (totem_with("token: soon\n", IFACE), 2, "totem.token", "expected a whole number, found 'soon'"),
        (totem_with("token: 99999999999\n", IFACE), 2, "totem.token", "out of range"),
        (totem_with("secauth: maybe\n", IFACE), 2, "totem.secauth", "expected on, off, yes or no, found 'maybe'"),
        (totem_with("transport: tcp\n", IFACE), 2, "totem.transport", "expected udp or udpu, found 'tcp'"),
        (totem_with("rrp_mode: both\n", IFACE), 2, "totem.rrp_mode", "expected none, active or passive"),
        (totem_with("", "bindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\nmcastport: 70000\n"), 5, "totem.interface.mcastport", "70000 is out of range (0..65535)"),
        (totem_with("", "bindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\nmcastport: 1\n"), 5, "totem.interface.mcastport", "1 is out of range (2..65535)"),
        (totem_with("", "bindnetaddr: 10.0.0.300\nmcastaddr: 239.1.1.1\n"), 3, "totem.interface.bindnetaddr", "expected an IPv4 or IPv6 address, found '10.0.0.300'"),
        (totem_with("", "bindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\nttl: 256\n"), 5, "totem.interface.ttl", "out of range"),
        (totem_with("token:\n", IFACE), 2, "totem.token", "has no value"),
        (totem_with("version: 3\n", IFACE), 2, "totem.version", "only version 2"),
        (totem_with("nodeid: 0\n", IFACE), 2, "totem.nodeid", "0 is not a valid node id"),
        // Protocol parameters, through TotemConfig::validate.
        (totem_with("token: 1000\nconsensus: 1100\n", IFACE), 3, "totem.consensus", "must be at least 1.2 x token (1100 < 1200)"),
        (totem_with("netmtu: 100\n", IFACE), 2, "totem.netmtu", "outside 576..65535"),
        (totem_with("window_size: 10\n", IFACE), 2, "totem.max_messages", "must not exceed window_size (17 > 10)"),
        (totem_with("token_retransmit: 2000\n", IFACE), 2, "totem.token_retransmit", "must be less than token"),
        // Interfaces.
        (totem_with("", "mcastaddr: 239.1.1.1\n"), 2, "totem.interface.bindnetaddr", "missing"),
        (totem_with("", "bindnetaddr: 10.0.0.0\n"), 2, "totem.interface.mcastaddr", "missing (transport udp needs a multicast group)"),
        (totem_with("", "bindnetaddr: 10.0.0.0\nmcastaddr: 10.1.1.1\n"), 4, "totem.interface.mcastaddr", "10.1.1.1 is not a multicast address"),
        (totem_with("", "bindnetaddr: 10.0.0.0\nmcastaddr: ff02::1\n"), 4, "totem.interface.mcastaddr", "IPv6 address ff02::1 but bindnetaddr is IPv4"),
        (totem_with("", "bindnetaddr: fd00::\nmcastaddr: ff02::1\n"), 3, "totem.interface.bindnetaddr", "an IPv6 address needs totem.nodeid to be set"),
        (totem_with("transport: udpu\n", "bindnetaddr: 10.0.0.0\n"), 3, "totem.interface.member", "transport udpu needs at least one member"),
        (totem_with("transport: udpu\n", "bindnetaddr: 10.0.0.0\nmember {\nmemberaddr: fd00::1\n}\n"), 6, "totem.interface.member.memberaddr", "IPv6 address fd00::1 but bindnetaddr is IPv4"),
        (totem_with("transport: udpu\n", "bindnetaddr: 10.0.0.0\nmember {\nmemberaddr: 10.0.0.1\n}\nmember {\nmemberaddr: 10.0.0.1\n}\n"), 9, "totem.interface.member.memberaddr", "10.0.0.1 is already a member (line 6)"),
        (totem_with("transport: udpu\n", "bindnetaddr: 10.0.0.0\nmember {\n}\n"), 5, "totem.interface.member.memberaddr", "missing"),
        (totem_with("", "ringnumber: 2\nbindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\n"), 3, "totem.interface.ringnumber", "2 is out of range (0..1)"),
        (totem_with("", "ringnumber: 1\nbindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\n"), 3, "totem.interface.ringnumber", "ring 1 given but ring 0 has no interface"),
        (totem_with("rrp_mode: active\ninterface {\nbindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\n}\n", IFACE), 7, "totem.interface.ringnumber", "ring 0 already has an interface (line 3)"),
        (totem_with("interface {\nbindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\n}\n", "ringnumber: 1\nbindnetaddr: 10.1.0.0\nmcastaddr: 239.1.1.2\n"), 6, "totem.rrp_mode", "2 interfaces need rrp_mode active or passive"),
        ("totem {\n}\n".into(), 1, "totem.interface", "at least one interface { } is needed"),
        ("".into(), 0, "totem.interface", "at least one interface { } is needed"),
        (totem_with("interface: eth0\n", IFACE), 2, "totem.interface", "expected a block 'interface { ... }', found a value"),
        (totem_with("token {\n}\n", IFACE), 2, "totem.token", "expected 'key: value', found a block"),
        (totem_with("token: 1000\ntoken: 2000\n", IFACE), 3, "totem.token", "given more than once (first on line 2)"),
        // Other blocks.
        (format!("{MINIMAL}logging {{\n to_file: yes\n}}\n"), 8, "logging.logfile", "missing (to_file is on)"),
        (format!("{MINIMAL}logging {{\n syslog_facility: kern\n}}\n"), 8, "logging.syslog_facility", "expected daemon, local0"),
        (format!("{MINIMAL}logging {{\n logger_subsys {{\n  debug: on\n }}\n}}\n"), 8, "logging.logger_subsys.subsys", "missing"),
        (format!("{MINIMAL}event {{\n delivery_queue_resume: 1000\n}}\n"), 8, "event.delivery_queue_resume", "must be less than delivery_queue_size (1000 >= 1000)"),
        (format!("{MINIMAL}event {{\n delivery_queue_size: 0\n}}\n"), 8, "event.delivery_queue_size", "must be greater than 0"),
        (format!("{MINIMAL}amf {{\n mode: on\n}}\n"), 8, "amf.mode", "expected enabled or disabled, found 'on'"),
        (format!("{MINIMAL}uidgid {{\n uid: root\n}}\nuidgid {{\n}}\n"), 10, "uidgid", "needs a uid or a gid"),
        (format!("{MINIMAL}nodes {{\n node {{\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n }}\n node {{\n  nodeid: 1\n  ring0_addr: 10.0.0.2\n }}\n}}\n"), 13, "nodes.node.nodeid", "1 is already used (line 8)"),
        (format!("{MINIMAL}nodes {{\n node {{\n  nodeid: 1\n }}\n}}\n"), 8, "nodes.node.ring0_addr", "missing"),
        // Syntax.
        ("totem {\n interface {\n  bindnetaddr: 10.0.0.0\n }\n".into(), 1, "totem", "'{' is never closed (missing '}')"),
        (format!("{MINIMAL}}}\n"), 7, "", "'}' without a block to close"),
        (format!("{MINIMAL}logging\n"), 7, "", "expected 'key: value', 'name {' or '}', found 'logging'"),
    ];
    for (text, line, key, message) in &cases {
        let e = fail(text);
        assert_eq!(e.file, FILE);
        assert_eq!(
            (e.line, e.key.as_deref().unwrap_or("")),
            (*line, *key),
            "{e}\n--- in ---\n{text}"
        );
        assert!(e.message.contains(message), "{e}\n--- in ---\n{text}");
        // Display puts them together the same way every time.
        let shown = e.to_string();
        let place = if *line > 0 {
            format!("{FILE}:{line}: ")
        } else {
            format!("{FILE}: ")
        };
        assert!(shown.starts_with(&place), "{shown}");
        if !key.is_empty() {
            assert!(shown[place.len()..].starts_with(&format!("{key}: ")), "{shown}");
        }
    }
}

#[test]
fn unknown_keys_are_warnings_with_their_lines() {
    let text = "\
compatibility: whitetank
totem {
 foo: 1
 interface {
  bindnetaddr: 10.0.0.0
  mcastaddr: 239.1.1.1
  broadcast: yes
 }
 interface_typo {
  x: 1
 }
}
service {
 name: pacemaker
}
logging {
 to_syslog: no
 foo:
 foo: 2
}
";
    let (s, warnings) = read(text);
    assert!(!s.logging.to_syslog);
    let shown: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        shown,
        vec![
            format!("{FILE}:1: unknown key 'compatibility' ignored"),
            format!("{FILE}:3: unknown key 'totem.foo' ignored"),
            format!("{FILE}:7: unknown key 'totem.interface.broadcast' ignored"),
            format!("{FILE}:9: unknown key 'totem.interface_typo' ignored"),
            format!("{FILE}:13: unknown key 'service' ignored"),
            format!("{FILE}:18: unknown key 'logging.foo' ignored"),
            format!("{FILE}:19: unknown key 'logging.foo' ignored"),
        ]
    );
    assert_eq!(warnings[1].key, "totem.foo");
    assert_eq!(warnings[1].line, 3);
}

#[test]
fn unknown_key_in_second_repeated_block_points_at_it() {
    let text = "totem {\n rrp_mode: passive\n interface {\n  bindnetaddr: 10.0.0.0\n  mcastaddr: 239.1.1.1\n }\n interface {\n  ringnumber: 1\n  bindnetaddr: 10.1.0.0\n  mcastaddr: 239.1.1.2\n  colour: red\n }\n}\n";
    let (_, warnings) = read(text);
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (warnings[0].line, warnings[0].key.as_str()),
        (11, "totem.interface.colour")
    );
}

#[test]
fn derived_timeouts() {
    let p = |extra: &str| read(&totem_with(extra, IFACE)).0.totem.protocol;

    // token alone: retransmit = token / 4.2, hold = 0.75 x that, consensus = 1.2 x token.
    let c = p("token: 5000\n");
    assert_eq!(
        (c.token, c.token_retransmit, c.hold, c.consensus),
        (5000, 1190, 892, 6000)
    );
    assert_eq!(c, TotemConfig::from_token(5000, 4));

    // The retransmit count takes part.
    let c = p("token: 5000\ntoken_retransmits_before_loss_const: 9\n");
    assert_eq!(c, TotemConfig::from_token(5000, 9));
    let c = p("token_retransmits_before_loss_const: 9\n");
    assert_eq!(c, TotemConfig::from_token(1000, 9));

    // Explicit values win over derived ones.
    let c = p("token: 5000\ntoken_retransmit: 1000\nhold: 100\nconsensus: 9000\n");
    assert_eq!(
        (c.token, c.token_retransmit, c.hold, c.consensus),
        (5000, 1000, 100, 9000)
    );

    // An explicit retransmit still derives hold from it.
    let c = p("token: 5000\ntoken_retransmit: 1000\n");
    assert_eq!((c.token_retransmit, c.hold, c.consensus), (1000, 750, 6000));

    // Nothing set: the defaults, not from_token(1000, 4) (hold 180, not 178).
    assert_eq!(p(""), TotemConfig::default());

    // The other parameters go straight through.
    let c = p("join: 70\nsend_join: 10\nmerge: 300\ndowncheck: 900\nfail_recv_const: 100\nseqno_unchanged_const: 40\nwindow_size: 60\nmax_messages: 25\nmiss_count_const: 6\nnetmtu: 9000\n");
    assert_eq!(
        (
            c.join,
            c.send_join,
            c.merge,
            c.downcheck,
            c.fail_recv_const,
            c.seqno_unchanged_const
        ),
        (70, 10, 300, 900, 100, 40)
    );
    assert_eq!(
        (c.window_size, c.max_messages, c.miss_count_const, c.netmtu),
        (60, 25, 6, 9000)
    );
}

#[test]
fn derived_value_errors_point_at_their_source() {
    // An explicit token_retransmit not below the token: its own line.
    let e = fail(&totem_with("token: 500\ntoken_retransmit: 600\n", IFACE));
    assert_eq!((e.line, e.key.as_deref()), (3, Some("totem.token_retransmit")));
    // An explicit hold too large for a derived token_retransmit: line of hold.
    let e = fail(&totem_with("token: 500\nhold: 200\n", IFACE));
    assert_eq!((e.line, e.key.as_deref()), (3, Some("totem.hold")));
    // join larger than a derived consensus: the key named is join, written.
    let e = fail(&totem_with("join: 1300\n", IFACE));
    assert_eq!((e.line, e.key.as_deref()), (2, Some("totem.join")));
    // max_messages defaulted, window_size written: point at window_size.
    let e = fail(&totem_with("\n\nwindow_size: 10\n", IFACE));
    assert_eq!((e.line, e.key.as_deref()), (4, Some("totem.max_messages")));
    assert!(e.message.contains("not set"), "{e}");
}

#[test]
fn nested_repeated_blocks() {
    let text = "\
totem {
  nodeid: 3
  rrp_mode: passive
  transport: udpu
  interface {
    ringnumber: 1
    bindnetaddr: 10.1.0.0
    member {
      memberaddr: 10.1.0.1
    }
    member {
      memberaddr: 10.1.0.2
    }
  }
  interface {
    ringnumber: 0
    bindnetaddr: 10.0.0.0
    member {
      memberaddr: 10.0.0.1
    }
  }
}
uidgid {
  uid: hacluster
}
uidgid {
  gid: 189
}
uidgid {
  uid: 0
  gid: root
}
nodes {
  node {
    nodeid: 1
    name: alpha
    ring0_addr: 10.0.0.1
  }
  node {
    nodeid: 2
    ring0_addr: 10.0.0.2
  }
}
";
    let (s, warnings) = read(text);
    assert!(warnings.is_empty(), "{warnings:?}");
    let t = &s.totem;
    assert_eq!(t.rrp_mode, RrpMode::Passive);
    // Ordered by ring number.
    assert_eq!(
        t.interfaces.iter().map(|i| i.ringnumber).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(
        t.interfaces[0].members,
        vec![Member {
            memberaddr: ip("10.0.0.1")
        }]
    );
    assert_eq!(t.interfaces[1].members.len(), 2);
    assert_eq!(
        s.uidgid,
        vec![
            UidGid {
                uid: Some("hacluster".into()),
                gid: None
            },
            UidGid {
                uid: None,
                gid: Some("189".into())
            },
            UidGid {
                uid: Some("0".into()),
                gid: Some("root".into())
            },
        ]
    );
    assert_eq!(
        s.nodes,
        vec![
            NodeEntry {
                nodeid: 1,
                name: Some("alpha".into()),
                ring0_addr: ip("10.0.0.1"),
                quorum_votes: 1,
            },
            NodeEntry {
                nodeid: 2,
                name: None,
                ring0_addr: ip("10.0.0.2"),
                quorum_votes: 1,
            },
        ]
    );
}

#[test]
fn comments_blank_lines_and_indentation_do_not_matter() {
    let noisy = "\n\n# top\n   # indented\ntotem {\n\n  # inside\n\tinterface {\n\n\t\t\tbindnetaddr:10.0.0.0   \n   mcastaddr :   239.1.1.1\n# between\n\t}\n}\n\n# end";
    assert_eq!(read(noisy).0, read(MINIMAL).0);
}

#[test]
fn crlf_line_endings() {
    let crlf = OPENAIS_0_80.replace('\n', "\r\n");
    let (a, wa) = read(OPENAIS_0_80);
    let (b, wb) = read(&crlf);
    assert_eq!(a, b);
    assert_eq!(wa, wb);
    // Line numbers stay right too.
    let e = fail("totem {\r\n token: x\r\n}\r\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("'x'"), "{e}");
}

#[test]
fn key_with_no_value() {
    // Known key: an error naming it.
    let e = fail(&format!("{MINIMAL}logging {{\n logfile:\n}}\n"));
    assert_eq!(e.to_string(), format!("{FILE}:8: logging.logfile: has no value"));
    let e = fail(&totem_with("cluster_name:   \n", IFACE));
    assert_eq!((e.line, e.key.as_deref()), (2, Some("totem.cluster_name")));
    // Unknown key: only a warning.
    let (_, w) = read(&totem_with("bogus:\n", IFACE));
    assert_eq!(w[0].to_string(), format!("{FILE}:2: unknown key 'totem.bogus' ignored"));
}

#[test]
fn aliases_from_openais_and_corosync() {
    let text = format!(
        "{MINIMAL}logging {{\n to_logfile: yes\n logfile: /var/log/ais.log\n syslog_facility: local3\n logger {{\n  ident: CKPT\n  debug: on\n  tags: enter|leave\n }}\n}}\nnodelist {{\n node {{\n  nodeid: 5\n  ring0_addr: 10.0.0.5\n }}\n}}\naisexec {{\n user: root\n group: root\n}}\namf {{\n mode: enabled\n}}\n"
    );
    let (s, w) = read(&text);
    assert!(w.is_empty(), "{w:?}");
    assert!(s.logging.to_file);
    assert_eq!(s.logging.syslog_facility, SyslogFacility::Local3);
    assert_eq!(s.logging.syslog_facility.code(), 19 << 3);
    assert_eq!(
        s.logging.logger_subsys,
        vec![LoggerSubsys {
            subsys: "CKPT".into(),
            debug: true,
            tags: Some("enter|leave".into())
        }]
    );
    assert_eq!(s.nodes[0].nodeid, 5);
    assert_eq!(
        s.aisexec,
        AisExec {
            user: "root".into(),
            group: "root".into()
        }
    );
    assert_eq!(s.amf.mode, AmfMode::Enabled);
}

#[test]
fn booleans_take_both_spellings() {
    for (word, value) in [("on", true), ("yes", true), ("off", false), ("no", false)] {
        let text = format!("{MINIMAL}logging {{\n debug: {word}\n timestamp: {word}\n to_stderr: {word}\n}}\n");
        let l = read(&text).0.logging;
        assert_eq!((l.debug, l.timestamp, l.to_stderr), (value, value, value));
    }
}

#[test]
fn warnings_for_accepted_but_unused_settings() {
    let text = totem_with(
        "threads: 4\n",
        "bindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\nmember {\nmemberaddr: 10.0.0.1\n}\n",
    );
    let (s, w) = read(&text);
    assert_eq!(s.totem.interfaces[0].members.len(), 1);
    let shown: Vec<String> = w.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        shown,
        vec![
            format!("{FILE}:2: totem.threads: ignored: the executive orders messages on one task"),
            format!("{FILE}:6: totem.interface.member: ignored with transport udp"),
        ]
    );
    let text = totem_with(
        "transport: udpu\n",
        "bindnetaddr: 10.0.0.0\nmcastaddr: 239.1.1.1\nmember {\nmemberaddr: 10.0.0.1\n}\n",
    );
    let (_, w) = read(&text);
    assert_eq!(
        w[0].to_string(),
        format!("{FILE}:5: totem.interface.mcastaddr: ignored with transport udpu")
    );
}

/// A tiny deterministic generator: the test must not depend on a seed
/// source, and a failure must reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn garbage_never_panics() {
    const PIECES: &[&str] = &[
        "{",
        "}",
        ":",
        "#",
        "\n",
        "\r\n",
        " ",
        "\t",
        "totem",
        "interface",
        "member",
        "token",
        "99999999999999999999",
        "-1",
        "0",
        "::",
        "fe80::1",
        "10.0.0.0",
        "udpu",
        "on",
        "é",
        "\u{feff}",
        "logging",
        "nodes",
        "node",
        "uidgid",
        "\0",
    ];
    let seeds = [OPENAIS_0_80, UDPU, MINIMAL];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let mut text: String = seeds[round % seeds.len()].to_owned();
        for _ in 0..1 + rng.below(6) {
            // Mutate at a char boundary: insert a piece, delete a span, or
            // duplicate a span.
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let first = rng.below(bounds.len());
            let last = (first + rng.below(60)).min(bounds.len() - 1);
            let (lo, hi) = (bounds[first], bounds[last]);
            match rng.below(3) {
                0 => text.insert_str(lo, PIECES[rng.below(PIECES.len())]),
                1 => text.replace_range(lo..hi, ""),
                _ => {
                    let span = text[lo..hi].to_owned();
                    text.insert_str(lo, &span);
                }
            }
        }
        let _ = Settings::from_str(&text, FILE);
    }
    // Pure noise too.
    for _ in 0..500 {
        let text: String = (0..rng.below(200)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        let _ = Settings::from_str(&text, FILE);
    }
}

#[test]
fn load_file_reads_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("ais-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let good = dir.join("openais.conf");
    std::fs::write(&good, OPENAIS_0_80).unwrap();
    let (s, w) = Settings::load_file(&good).unwrap();
    assert_eq!(s.totem.protocol.token, 3000);
    assert_eq!(w[0].file, good.display().to_string());

    let missing = dir.join("nope.conf");
    let e = Settings::load_file(&missing).unwrap_err();
    assert_eq!(e.file, missing.display().to_string());
    assert!(
        e.to_string()
            .starts_with(&format!("{}: can't read the configuration: ", missing.display())),
        "{e}"
    );

    let latin1 = dir.join("latin1.conf");
    std::fs::write(&latin1, b"# ok\n# caf\xe9\ntotem {\n}\n").unwrap();
    let e = Settings::load_file(&latin1).unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (2, "not valid UTF-8 text"));

    let bad = dir.join("bad.conf");
    std::fs::write(&bad, totem_with("token: x\n", IFACE)).unwrap();
    let e = Settings::load_file(&bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}:2: totem.token: expected a whole number, found 'x'", bad.display())
    );

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_paths_and_their_variables() {
    assert_eq!(path_from(None, DEFAULT_AUTHKEY_FILE), PathBuf::from("/etc/ais/authkey"));
    assert_eq!(
        path_from(Some("".into()), DEFAULT_AMF_CONFIG_FILE),
        PathBuf::from("/etc/ais/amf.conf")
    );
    assert_eq!(
        path_from(Some("/tmp/k".into()), DEFAULT_AUTHKEY_FILE),
        PathBuf::from("/tmp/k")
    );
    assert_eq!(DEFAULT_MAIN_CONFIG_FILE, "/etc/ais/openais.conf");

    // The variables themselves; only this test touches them.
    let vars = [
        (
            "OPENAIS_MAIN_CONFIG_FILE",
            main_config_path as fn() -> PathBuf,
            "/etc/ais/openais.conf",
        ),
        ("OPENAIS_TOTEM_AUTHKEY_FILE", authkey_path, "/etc/ais/authkey"),
        ("OPENAIS_AMF_CONFIG_FILE", amf_config_path, "/etc/ais/amf.conf"),
    ];
    for (var, get, default) in vars {
        let saved = std::env::var_os(var);
        std::env::set_var(var, "/elsewhere/file");
        assert_eq!(get(), PathBuf::from("/elsewhere/file"));
        std::env::remove_var(var);
        assert_eq!(get(), PathBuf::from(default));
        if let Some(v) = saved {
            std::env::set_var(var, v);
        }
    }

    // load() goes through the variable.
    let path = std::env::temp_dir().join(format!("ais-load-test-{}.conf", std::process::id()));
    std::fs::write(&path, MINIMAL).unwrap();
    let saved = std::env::var_os("OPENAIS_MAIN_CONFIG_FILE");
    std::env::set_var("OPENAIS_MAIN_CONFIG_FILE", &path);
    let loaded = Settings::load();
    std::env::set_var("OPENAIS_MAIN_CONFIG_FILE", "/nonexistent/openais.conf");
    let e = Settings::load().unwrap_err();
    match saved {
        Some(v) => std::env::set_var("OPENAIS_MAIN_CONFIG_FILE", v),
        None => std::env::remove_var("OPENAIS_MAIN_CONFIG_FILE"),
    }
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.unwrap().0, read(MINIMAL).0);
    assert!(
        e.to_string().starts_with("/nonexistent/openais.conf: can't read"),
        "{e}"
    );
}

#[test]
fn man_page_examples_are_accepted() {
    // The examples of openais.conf(5) are what users copy: keep them valid.
    let page = include_str!("../../../man/openais.conf.5");
    let examples = &page[page.find(".SH EXAMPLES").expect("EXAMPLES section")..];
    let examples = &examples[..examples.find("\n.SH ").unwrap_or(examples.len())];
    let mut found = 0;
    for chunk in examples.split("\n.nf\n").skip(1) {
        let text = &chunk[..chunk.find("\n.fi").expect("unterminated .nf")];
        assert!(!text.contains('\\'), "roff escapes in an example: {text}");
        let (s, warnings) = read(text);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(s.totem.interfaces.len(), 1);
        found += 1;
    }
    assert_eq!(found, 2, "one multicast and one udpu example");
}

/// `checkpoint { }` raises the checkpoint service's own limits; errors name
/// the file, line and key, and unknown keys warn (openais.conf(5)).
#[test]
fn checkpoint_limits_are_read_checked_and_unknown_keys_warn() {
    let text = format!(
        "{MINIMAL}checkpoint {{\n max_checkpoints: 10\n max_sections: 20\n max_memory: 3000000000\n \
         max_staged_per_node: 100000000\n max_staged: 400000000\n max_open_per_connection: 5\n max_foo: 1\n}}\n"
    );
    let (s, warnings) = read(&text);
    assert_eq!(
        s.checkpoint,
        Checkpoint {
            max_checkpoints: 10,
            max_sections: 20,
            max_memory: 3_000_000_000,
            max_staged_per_node: 100_000_000,
            max_staged: 400_000_000,
            max_open_per_connection: 5,
        }
    );
    let l = s.checkpoint.limits();
    assert_eq!(
        (
            l.max_checkpoints,
            l.max_store_bytes,
            l.max_staged_total,
            l.max_opens_per_conn
        ),
        (10, 3_000_000_000, 400_000_000, 5)
    );
    let shown: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        shown,
        vec![format!("{FILE}:14: unknown key 'checkpoint.max_foo' ignored")]
    );
    let cases = [
        (
            "max_checkpoints: 0\n",
            8,
            "checkpoint.max_checkpoints",
            "must be greater than 0",
        ),
        ("max_memory: 0\n", 8, "checkpoint.max_memory", "must be greater than 0"),
        (
            "max_staged: 10\nmax_staged_per_node: 20\n",
            9,
            "checkpoint.max_staged_per_node",
            "must not be more than max_staged (20 > 10)",
        ),
        ("max_sections: lots\n", 8, "checkpoint.max_sections", ""),
    ];
    for (body, line, key, message) in cases {
        let e = fail(&format!("{MINIMAL}checkpoint {{\n{body}}}\n"));
        assert_eq!(
            (e.file.as_str(), e.line, e.key.as_deref()),
            (FILE, line, Some(key)),
            "{e}"
        );
        assert!(e.message.contains(message), "{e}");
        assert!(e.to_string().starts_with(&format!("{FILE}:{line}: {key}: ")), "{e}");
    }
}

/// `quorum { }` with votequorum(5)'s keys: corosync's provider name and the
/// short one, expected votes from the section or the node list's
/// quorum_votes (1 by default), two_node implying wait_for_all.
#[test]
fn quorum_section_as_votequorum_5_writes_it() {
    let list = "nodes {\n node {\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n  quorum_votes: 3\n }\n node {\n  nodeid: 2\n  ring0_addr: 10.0.0.2\n }\n}\n";
    let (s, warnings) = read(&format!(
        "{MINIMAL}{list}quorum {{\n provider: corosync_votequorum\n}}\n"
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
    let q = s.quorum_config().expect("quorum configured");
    assert_eq!(
        (q.expected_votes, q.votes_of(1), q.votes_of(2), q.votes_of(9)),
        (4, 3, 1, 1)
    );
    let (s, _) = read(&format!(
        "{MINIMAL}quorum {{\n provider: votequorum\n expected_votes: 2\n two_node: 1\n}}\n"
    ));
    let q = s.quorum_config().expect("quorum configured");
    assert_eq!((q.expected_votes, q.two_node, q.wait_for_all), (2, true, None));
    let (s, _) = read(&format!(
        "{MINIMAL}quorum {{\n provider: votequorum\n expected_votes: 5\n wait_for_all: 1\n}}\n"
    ));
    assert_eq!(s.quorum_config().map(|q| q.wait_for_all), Some(Some(true)));
    // Without the section: no quorum, as before.
    assert_eq!(read(MINIMAL).0.quorum_config(), None);
}

#[test]
fn quorum_errors_name_file_line_and_key() {
    let cases = [
        ("provider: votequorum\n", 7, "quorum", "needs expected_votes"),
        ("expected_votes: 3\n", 7, "quorum.provider", "missing"),
        (
            "provider: cman\nexpected_votes: 3\n",
            8,
            "quorum.provider",
            "expected corosync_votequorum",
        ),
        (
            "provider: votequorum\nexpected_votes: 0\n",
            9,
            "quorum.expected_votes",
            "greater than 0",
        ),
        (
            "provider: votequorum\nexpected_votes: 3\ntwo_node: 1\n",
            9,
            "quorum.two_node",
            "needs 2 expected votes, found 3",
        ),
    ];
    for (body, line, key, message) in cases {
        let e = fail(&format!("{MINIMAL}quorum {{\n{body}}}\n"));
        assert_eq!(
            (e.file.as_str(), e.line, e.key.as_deref()),
            (FILE, line, Some(key)),
            "{e}"
        );
        assert!(e.message.contains(message), "{e}");
    }
    let e = fail(&format!(
        "{MINIMAL}nodes {{\n node {{\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n  quorum_votes: 300\n }}\n}}\nquorum {{\n provider: votequorum\n}}\n"
    ));
    assert_eq!((e.line, e.key.as_deref()), (11, Some("nodes.node.quorum_votes")), "{e}");
}
