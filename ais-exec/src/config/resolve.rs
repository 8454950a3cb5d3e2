//! From the file as read to settings the executive can use: defaults and
//! derived timeouts filled in, and every rule that involves more than one
//! value checked, each failure placed at the line to fix.

use std::collections::HashMap;
use std::net::IpAddr;

use ais_totem::config::TotemConfig;

use super::parse::{Step, Tree};
use super::raw::{RawSettings, RawTotem};
use super::settings::{
    Checkpoint, ConfigError, Event, Interface, Logging, NodeEntry, Origin, Quorum, RrpMode, Settings, Totem, Transport,
    UidGid, Warning, MAX_INTERFACES,
};

/// Where errors and warnings are reported: the file and its tree.
pub struct Ctx<'a> {
    pub file: &'a str,
    pub tree: &'a Tree,
    pub warnings: Vec<Warning>,
}

fn dotted(path: &[Step<'_>]) -> String {
    path.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(".")
}

impl Ctx<'_> {
    fn error_at(&self, line: u32, key: String, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line,
            key: Some(key),
            message: message.into(),
        }
    }

    /// An error about the key at `path`, at its line (or its block's).
    fn error(&self, path: &[Step<'_>], message: impl Into<String>) -> ConfigError {
        self.error_at(self.tree.line(path), dotted(path), message)
    }

    fn warn(&mut self, path: &[Step<'_>], message: impl AsRef<str>) {
        let key = dotted(path);
        self.warnings.push(Warning {
            file: self.file.to_owned(),
            line: self.tree.line(path),
            message: format!("{key}: {}", message.as_ref()),
            key,
        });
    }

    /// Whether the key at `path` is written in the file.
    fn has(&self, path: &[Step<'_>]) -> bool {
        !self.tree.find(path).is_empty()
    }
}

pub fn resolve(raw: RawSettings, ctx: &mut Ctx<'_>) -> Result<Settings, ConfigError> {
    let origin = origin(&raw.totem, raw.nodes.node.len(), ctx);
    let totem = resolve_totem(raw.totem, ctx)?;
    check_logging(&raw.logging, ctx)?;
    check_event(&raw.event, ctx)?;
    check_checkpoint(&raw.checkpoint, ctx)?;
    check_uidgid(&raw.uidgid, ctx)?;
    check_nodes(&raw.nodes.node, ctx)?;
    check_quorum(raw.quorum.as_ref(), &raw.nodes.node, ctx)?;
    Ok(Settings {
        origin,
        totem,
        logging: raw.logging,
        event: raw.event,
        checkpoint: raw.checkpoint,
        amf: raw.amf,
        aisexec: raw.aisexec,
        uidgid: raw.uidgid,
        nodes: raw.nodes.node,
        quorum: raw.quorum,
    })
}

const T: Step<'static> = ("totem", None);

/// How the node list is spelled in the file: `nodes`, or corosync's `nodelist`.
fn nodes_block(ctx: &Ctx<'_>) -> &'static str {
    if ctx.has(&[("nodes", None)]) {
        "nodes"
    } else {
        "nodelist"
    }
}

/// The lines of the values checked at startup against the host.
fn origin(raw: &RawTotem, nodes: usize, ctx: &Ctx<'_>) -> Origin {
    let nodeid = [T, ("nodeid", None)];
    let block = nodes_block(ctx);
    // The settings keep interfaces sorted by ring number; the file may list
    // them in any order.
    let mut bindnetaddr: Vec<(u8, u32)> = raw
        .interface
        .iter()
        .enumerate()
        .map(|(i, iface)| {
            let line = ctx.tree.line(&[T, ("interface", Some(i)), ("bindnetaddr", None)]);
            (iface.ringnumber, line)
        })
        .collect();
    bindnetaddr.sort_by_key(|&(ring, _)| ring);
    Origin {
        file: ctx.file.to_owned(),
        totem_nodeid: if ctx.has(&nodeid) { ctx.tree.line(&nodeid) } else { 0 },
        bindnetaddr: bindnetaddr.into_iter().map(|(_, line)| line).collect(),
        node_ids: (0..nodes)
            .map(|i| ctx.tree.line(&[(block, None), ("node", Some(i)), ("nodeid", None)]))
            .collect(),
        nodes_block: block,
    }
}

fn resolve_totem(raw: RawTotem, ctx: &mut Ctx<'_>) -> Result<Totem, ConfigError> {
    if let Some(version) = raw.version {
        if version != 2 {
            return Err(ctx.error(
                &[T, ("version", None)],
                format!("only version 2 is supported, found {version}"),
            ));
        }
    }
    if raw.threads.is_some() {
        ctx.warn(
            &[T, ("threads", None)],
            "ignored: the executive orders messages on one task",
        );
    }
    if raw.nodeid == Some(0) {
        return Err(ctx.error(&[T, ("nodeid", None)], "0 is not a valid node id"));
    }
    let protocol = protocol(&raw, ctx)?;
    let interfaces = interfaces(&raw, ctx)?;
    Ok(Totem {
        version: 2,
        secauth: raw.secauth.unwrap_or(true),
        nodeid: raw.nodeid,
        clear_node_high_bit: raw.clear_node_high_bit,
        transport: raw.transport,
        rrp_mode: raw.rrp_mode,
        vsftype: raw.vsftype,
        cluster_name: raw.cluster_name,
        protocol,
        interfaces,
    })
}

/// The protocol parameters: explicit values win; token_retransmit, hold and
/// consensus not given are derived from what is (corosync's rules, via
/// `TotemConfig::from_token`), then the whole is validated.
fn protocol(raw: &RawTotem, ctx: &Ctx<'_>) -> Result<TotemConfig, ConfigError> {
    let mut c = if raw.token.is_some() || raw.token_retransmits_before_loss_const.is_some() {
        TotemConfig::from_token(
            raw.token.unwrap_or(TotemConfig::default().token),
            raw.token_retransmits_before_loss_const
                .unwrap_or(TotemConfig::default().token_retransmits_before_loss_const),
        )
    } else {
        TotemConfig::default()
    };
    if let Some(v) = raw.token_retransmit {
        c.token_retransmit = v;
        if raw.hold.is_none() {
            // Same ratio as from_token: hold = 0.75 x token_retransmit.
            c.hold = (u64::from(v) * 3 / 4).max(1) as u32;
        }
    }
    let explicit: [(&mut u32, Option<u32>); 12] = [
        (&mut c.hold, raw.hold),
        (&mut c.consensus, raw.consensus),
        (&mut c.join, raw.join),
        (&mut c.send_join, raw.send_join),
        (&mut c.merge, raw.merge),
        (&mut c.downcheck, raw.downcheck),
        (&mut c.fail_recv_const, raw.fail_recv_const),
        (&mut c.seqno_unchanged_const, raw.seqno_unchanged_const),
        (&mut c.window_size, raw.window_size),
        (&mut c.max_messages, raw.max_messages),
        (&mut c.miss_count_const, raw.miss_count_const),
        (&mut c.netmtu, raw.netmtu),
    ];
    for (field, value) in explicit {
        if let Some(v) = value {
            *field = v;
        }
    }
    c.validate().map_err(|e| {
        let key = [T, (e.parameter, None)];
        if ctx.has(&key) {
            return ctx.error(&key, e.reason);
        }
        // Not written: it was derived from (or defaulted beside) another
        // key; point at that one so the reader sees what to change.
        let sources: &[&str] = match e.parameter {
            "hold" => &["token_retransmit", "token", "token_retransmits_before_loss_const"],
            "token_retransmit" => &["token", "token_retransmits_before_loss_const"],
            "consensus" => &["token"],
            "max_messages" => &["window_size"],
            "join" | "send_join" => &["consensus", "token"],
            _ => &[],
        };
        let line = sources
            .iter()
            .map(|s| [T, (*s, None)])
            .find(|p| ctx.has(p))
            .map_or_else(|| ctx.tree.line(&[T]), |p| ctx.tree.line(&p));
        ctx.error_at(
            line,
            dotted(&key),
            format!("{} (not set; derived or default)", e.reason),
        )
    })?;
    Ok(c)
}

fn family(a: &IpAddr) -> &'static str {
    if a.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

fn interfaces(raw: &RawTotem, ctx: &mut Ctx<'_>) -> Result<Vec<Interface>, ConfigError> {
    if raw.interface.is_empty() {
        return Err(ctx.error(&[T, ("interface", None)], "at least one interface { } is needed"));
    }
    if raw.interface.len() > MAX_INTERFACES {
        return Err(ctx.error(
            &[T, ("interface", Some(MAX_INTERFACES))],
            format!("at most {MAX_INTERFACES} interfaces (rings) are supported"),
        ));
    }
    if raw.interface.len() > 1 && raw.rrp_mode == RrpMode::None {
        let path: &[Step<'_>] = if ctx.has(&[T, ("rrp_mode", None)]) {
            &[T, ("rrp_mode", None)]
        } else {
            &[T, ("interface", Some(1))]
        };
        return Err(ctx.error_at(
            ctx.tree.line(path),
            "totem.rrp_mode".into(),
            format!(
                "{} interfaces need rrp_mode active or passive (rrp_mode is none)",
                raw.interface.len()
            ),
        ));
    }

    let mut rings: HashMap<u8, u32> = HashMap::new();
    for (i, iface) in raw.interface.iter().enumerate() {
        let at = |key: &'static str| [T, ("interface", Some(i)), (key, None)];
        let block = [T, ("interface", Some(i))];

        if usize::from(iface.ringnumber) >= MAX_INTERFACES {
            return Err(ctx.error(
                &at("ringnumber"),
                format!("{} is out of range (0..{})", iface.ringnumber, MAX_INTERFACES - 1),
            ));
        }
        let line = ctx.tree.line(&at("ringnumber"));
        if let Some(first) = rings.insert(iface.ringnumber, line) {
            return Err(ctx.error(
                &at("ringnumber"),
                format!("ring {} already has an interface (line {first})", iface.ringnumber),
            ));
        }
        if iface.mcastport < 2 {
            // The transport also binds mcastport - 1.
            return Err(ctx.error(
                &at("mcastport"),
                format!("{} is out of range (2..65535)", iface.mcastport),
            ));
        }
        let v6 = iface.bindnetaddr.is_ipv6();
        if v6 && raw.nodeid.is_none() {
            return Err(ctx.error(&at("bindnetaddr"), "an IPv6 address needs totem.nodeid to be set"));
        }
        match (raw.transport, iface.mcastaddr) {
            (Transport::Udp, None) => {
                return Err(ctx.error_at(
                    ctx.tree.line(&block),
                    dotted(&at("mcastaddr")),
                    "missing (transport udp needs a multicast group)",
                ));
            }
            (Transport::Udp, Some(m)) => {
                if !m.is_multicast() {
                    return Err(ctx.error(&at("mcastaddr"), format!("{m} is not a multicast address")));
                }
                if m.is_ipv6() != v6 {
                    return Err(ctx.error(
                        &at("mcastaddr"),
                        format!(
                            "{} address {m} but bindnetaddr is {}",
                            family(&m),
                            family(&iface.bindnetaddr)
                        ),
                    ));
                }
            }
            (Transport::Udpu, Some(_)) => {
                ctx.warn(&at("mcastaddr"), "ignored with transport udpu");
            }
            (Transport::Udpu, None) => {}
        }
        match raw.transport {
            Transport::Udpu if iface.members.is_empty() => {
                return Err(ctx.error_at(
                    ctx.tree.line(&block),
                    dotted(&at("member")),
                    "transport udpu needs at least one member { memberaddr } in each interface",
                ));
            }
            Transport::Udp if !iface.members.is_empty() => {
                ctx.warn(
                    &[T, ("interface", Some(i)), ("member", Some(0))],
                    "ignored with transport udp",
                );
            }
            _ => {}
        }
        let mut seen: HashMap<IpAddr, usize> = HashMap::new();
        for (j, member) in iface.members.iter().enumerate() {
            let path = [T, ("interface", Some(i)), ("member", Some(j)), ("memberaddr", None)];
            let a = member.memberaddr;
            if a.is_ipv6() != v6 {
                return Err(ctx.error(
                    &path,
                    format!(
                        "{} address {a} but bindnetaddr is {}",
                        family(&a),
                        family(&iface.bindnetaddr)
                    ),
                ));
            }
            if let Some(first) = seen.insert(a, j) {
                let first_line =
                    ctx.tree
                        .line(&[T, ("interface", Some(i)), ("member", Some(first)), ("memberaddr", None)]);
                return Err(ctx.error(&path, format!("{a} is already a member (line {first_line})")));
            }
        }
    }

    let mut interfaces = raw.interface.clone();
    interfaces.sort_by_key(|i| i.ringnumber);
    // Rings are numbered from 0 without gaps: interface i carries ring i.
    for (expected, iface) in interfaces.iter().enumerate() {
        if usize::from(iface.ringnumber) != expected {
            let i = raw
                .interface
                .iter()
                .position(|r| r.ringnumber == iface.ringnumber)
                .unwrap_or(0);
            return Err(ctx.error(
                &[T, ("interface", Some(i)), ("ringnumber", None)],
                format!("ring {} given but ring {expected} has no interface", iface.ringnumber),
            ));
        }
    }
    Ok(interfaces)
}

fn check_logging(logging: &Logging, ctx: &Ctx<'_>) -> Result<(), ConfigError> {
    const L: Step<'static> = ("logging", None);
    if logging.to_file && logging.logfile.is_none() {
        let line = [("to_file", None), ("to_logfile", None)]
            .into_iter()
            .map(|k| [L, k])
            .find(|p| ctx.has(p))
            .map_or_else(|| ctx.tree.line(&[L]), |p| ctx.tree.line(&p));
        return Err(ctx.error_at(line, "logging.logfile".into(), "missing (to_file is on)"));
    }
    Ok(())
}

fn check_event(event: &Event, ctx: &Ctx<'_>) -> Result<(), ConfigError> {
    const E: Step<'static> = ("event", None);
    if event.delivery_queue_size == 0 {
        return Err(ctx.error(&[E, ("delivery_queue_size", None)], "must be greater than 0"));
    }
    if event.delivery_queue_resume >= event.delivery_queue_size {
        return Err(ctx.error(
            &[E, ("delivery_queue_resume", None)],
            format!(
                "must be less than delivery_queue_size ({} >= {})",
                event.delivery_queue_resume, event.delivery_queue_size
            ),
        ));
    }
    Ok(())
}

fn check_checkpoint(c: &Checkpoint, ctx: &Ctx<'_>) -> Result<(), ConfigError> {
    const C: Step<'static> = ("checkpoint", None);
    let positive = [
        ("max_checkpoints", c.max_checkpoints as u64),
        ("max_sections", c.max_sections),
        ("max_memory", c.max_memory),
        ("max_staged_per_node", c.max_staged_per_node),
        ("max_staged", c.max_staged),
        ("max_open_per_connection", c.max_open_per_connection as u64),
    ];
    for (key, v) in positive {
        if v == 0 {
            return Err(ctx.error(&[C, (key, None)], "must be greater than 0"));
        }
    }
    if c.max_staged_per_node > c.max_staged {
        return Err(ctx.error(
            &[C, ("max_staged_per_node", None)],
            format!(
                "must not be more than max_staged ({} > {})",
                c.max_staged_per_node, c.max_staged
            ),
        ));
    }
    Ok(())
}

fn check_uidgid(list: &[UidGid], ctx: &Ctx<'_>) -> Result<(), ConfigError> {
    for (i, entry) in list.iter().enumerate() {
        if entry.uid.is_none() && entry.gid.is_none() {
            return Err(ctx.error(&[("uidgid", Some(i))], "needs a uid or a gid"));
        }
    }
    Ok(())
}

fn check_nodes(nodes: &[NodeEntry], ctx: &Ctx<'_>) -> Result<(), ConfigError> {
    let block = nodes_block(ctx);
    let mut ids: HashMap<u32, usize> = HashMap::new();
    let mut addrs: HashMap<IpAddr, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let at = |key: &'static str| [(block, None), ("node", Some(i)), (key, None)];
        if node.nodeid == 0 {
            return Err(ctx.error(&at("nodeid"), "0 is not a valid node id"));
        }
        if let Some(first) = ids.insert(node.nodeid, i) {
            let line = ctx.tree.line(&[(block, None), ("node", Some(first))]);
            return Err(ctx.error(&at("nodeid"), format!("{} is already used (line {line})", node.nodeid)));
        }
        if let Some(first) = addrs.insert(node.ring0_addr, i) {
            let line = ctx.tree.line(&[(block, None), ("node", Some(first))]);
            return Err(ctx.error(
                &at("ring0_addr"),
                format!("{} is already used (line {line})", node.ring0_addr),
            ));
        }
    }
    Ok(())
}

/// votequorum(5): expected votes from `quorum.expected_votes` or the node
/// list ("lack of both will disable votequorum": here an error, since the
/// section asks for quorum); two_node is for two expected votes.
fn check_quorum(quorum: Option<&Quorum>, nodes: &[NodeEntry], ctx: &Ctx<'_>) -> Result<(), ConfigError> {
    const Q: Step<'static> = ("quorum", None);
    let Some(q) = quorum else { return Ok(()) };
    let block = nodes_block(ctx);
    let mut listed: u64 = 0;
    for (i, node) in nodes.iter().enumerate() {
        if node.quorum_votes > 255 {
            return Err(ctx.error(
                &[(block, None), ("node", Some(i)), ("quorum_votes", None)],
                format!("{} is out of range (0..255)", node.quorum_votes),
            ));
        }
        listed += u64::from(node.quorum_votes);
    }
    let expected = match q.expected_votes {
        Some(0) => return Err(ctx.error(&[Q, ("expected_votes", None)], "must be greater than 0")),
        Some(e) => u64::from(e),
        None if listed == 0 => {
            return Err(ctx.error(
                &[Q],
                format!("needs expected_votes, or a {block} {{ }} list whose nodes have votes"),
            ))
        }
        None => listed,
    };
    if q.two_node && expected != 2 {
        let path: &[Step<'_>] = if ctx.has(&[Q, ("expected_votes", None)]) {
            &[Q, ("expected_votes", None)]
        } else {
            &[Q, ("two_node", None)]
        };
        return Err(ctx.error_at(
            ctx.tree.line(path),
            "quorum.two_node".into(),
            format!("needs 2 expected votes, found {expected}"),
        ));
    }
    Ok(())
}
