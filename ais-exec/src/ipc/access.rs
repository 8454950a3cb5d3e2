//! Who may open a library handle.
//!
//! The identity is the kernel's (SO_PEERCRED at connect time), never the client's word. A
//! peer is allowed when any of these holds:
//!
//! 1. its uid is 0, or its gid is 0;
//! 2. its uid or gid is in a configured `uidgid { }` entry;
//! 3. it belongs to the executive's group (`aisexec { group }`, default `ais`): the
//!    process's gid is that group's, or the user's primary group is, or the user is listed
//!    among the group's members.
//!
//! Rules 1 and 2 need no lookup ([`AccessPolicy::quick`]); rule 3 reads the user and group
//! databases at each decision (so a user added to the group needs no restart), which may
//! block (NSS), so the server runs it on the blocking pool.

use nix::unistd::{Group, Uid, User};

use crate::config::UidGid;

/// The peer's credentials as the kernel reported them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCred {
    pub pid: Option<i32>,
    pub uid: u32,
    pub gid: u32,
}

/// A user as the access rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    /// The primary group.
    pub gid: u32,
}

/// A group as the access rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub gid: u32,
    /// User names listed in the group entry (supplementary members).
    pub members: Vec<String>,
}

/// The user and group databases; [`SystemUserDb`] in the executive, synthetic in tests.
pub trait UserDb {
    fn user_by_uid(&self, uid: u32) -> Option<UserInfo>;
    fn group_by_name(&self, name: &str) -> Option<GroupInfo>;
}

/// The system's databases (getpwuid_r / getgrnam_r through nix).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemUserDb;

impl UserDb for SystemUserDb {
    fn user_by_uid(&self, uid: u32) -> Option<UserInfo> {
        let u = User::from_uid(Uid::from_raw(uid)).ok()??;
        Some(UserInfo {
            name: u.name,
            gid: u.gid.as_raw(),
        })
    }

    fn group_by_name(&self, name: &str) -> Option<GroupInfo> {
        let g = Group::from_name(name).ok()??;
        Some(GroupInfo {
            gid: g.gid.as_raw(),
            members: g.mem,
        })
    }
}

/// Why a peer was let in (for the log line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowed {
    RootUser,
    RootGroup,
    ConfiguredUid,
    ConfiguredGid,
    /// Rule 3: the process runs with the group's gid.
    GroupGid,
    /// Rule 3: the user's primary group is the group.
    PrimaryGroup,
    /// Rule 3: the user is listed in the group.
    GroupMember,
}

/// The verdict for a peer no rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied;

/// The access rule's parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// The group whose members may connect; `None` disables rule 3.
    pub group: Option<String>,
    /// Users allowed by `uidgid { uid }`.
    pub uids: Vec<u32>,
    /// Groups allowed by `uidgid { gid }`.
    pub gids: Vec<u32>,
}

impl AccessPolicy {
    /// The policy the configuration describes: `group` is `aisexec { group }`, `uidgid` the
    /// `uidgid { }` blocks, whose names are resolved now (numbers are taken as they are).
    /// An unknown name is an error naming it.
    pub fn from_config(group: &str, uidgid: &[UidGid]) -> Result<AccessPolicy, String> {
        let mut p = AccessPolicy {
            group: Some(group.to_owned()),
            ..AccessPolicy::default()
        };
        for e in uidgid {
            if let Some(u) = &e.uid {
                p.uids.push(resolve_uid(u)?);
            }
            if let Some(g) = &e.gid {
                p.gids.push(resolve_gid(g)?);
            }
        }
        Ok(p)
    }

    /// The decision when it needs no database lookup: `Some` if rules 1 or 2 allow the
    /// peer, or if rule 3 is disabled (then `None` never comes back).
    pub fn quick(&self, cred: &PeerCred) -> Option<Result<Allowed, Denied>> {
        if cred.uid == 0 {
            return Some(Ok(Allowed::RootUser));
        }
        if cred.gid == 0 {
            return Some(Ok(Allowed::RootGroup));
        }
        if self.uids.contains(&cred.uid) {
            return Some(Ok(Allowed::ConfiguredUid));
        }
        if self.gids.contains(&cred.gid) {
            return Some(Ok(Allowed::ConfiguredGid));
        }
        match self.group {
            None => Some(Err(Denied)),
            Some(_) => None,
        }
    }

    /// The full decision.
    pub fn decide(&self, cred: &PeerCred, db: &dyn UserDb) -> Result<Allowed, Denied> {
        if let Some(d) = self.quick(cred) {
            return d;
        }
        let group = self.group.as_deref().and_then(|n| db.group_by_name(n)).ok_or(Denied)?;
        if cred.gid == group.gid {
            return Ok(Allowed::GroupGid);
        }
        let user = db.user_by_uid(cred.uid).ok_or(Denied)?;
        if user.gid == group.gid {
            return Ok(Allowed::PrimaryGroup);
        }
        if group.members.contains(&user.name) {
            return Ok(Allowed::GroupMember);
        }
        Err(Denied)
    }
}

fn resolve_uid(s: &str) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return Ok(n);
    }
    match User::from_name(s) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        Ok(None) => Err(format!("uidgid: unknown user '{s}'")),
        Err(e) => Err(format!("uidgid: cannot look up user '{s}': {e}")),
    }
}

fn resolve_gid(s: &str) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return Ok(n);
    }
    match Group::from_name(s) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        Ok(None) => Err(format!("uidgid: unknown group '{s}'")),
        Err(e) => Err(format!("uidgid: cannot look up group '{s}': {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// alice (1000) has primary group ais (500); bob (1001) is listed in ais; carol (1002)
    /// is neither; the ais group has gid 500.
    struct Db;

    impl UserDb for Db {
        fn user_by_uid(&self, uid: u32) -> Option<UserInfo> {
            let (name, gid) = match uid {
                1000 => ("alice", 500),
                1001 => ("bob", 1001),
                1002 => ("carol", 1002),
                _ => return None,
            };
            Some(UserInfo { name: name.into(), gid })
        }

        fn group_by_name(&self, name: &str) -> Option<GroupInfo> {
            (name == "ais").then(|| GroupInfo {
                gid: 500,
                members: vec!["bob".into()],
            })
        }
    }

    fn cred(uid: u32, gid: u32) -> PeerCred {
        PeerCred {
            pid: Some(77),
            uid,
            gid,
        }
    }

    fn policy() -> AccessPolicy {
        AccessPolicy {
            group: Some("ais".into()),
            uids: vec![2000],
            gids: vec![3000],
        }
    }

    #[test]
    fn the_rule() {
        let p = policy();
        let d = |uid, gid| p.decide(&cred(uid, gid), &Db);
        assert_eq!(d(0, 1234), Ok(Allowed::RootUser));
        assert_eq!(d(1234, 0), Ok(Allowed::RootGroup));
        assert_eq!(d(2000, 1234), Ok(Allowed::ConfiguredUid));
        assert_eq!(d(1234, 3000), Ok(Allowed::ConfiguredGid));
        assert_eq!(d(1002, 500), Ok(Allowed::GroupGid));
        assert_eq!(d(1000, 1000), Ok(Allowed::PrimaryGroup));
        assert_eq!(d(1001, 1001), Ok(Allowed::GroupMember));
        assert_eq!(d(1002, 1002), Err(Denied));
        // Unknown users are refused, not an error.
        assert_eq!(d(4242, 4242), Err(Denied));
    }

    #[test]
    fn quick_needs_no_lookup_for_rules_1_and_2() {
        let p = policy();
        assert_eq!(p.quick(&cred(0, 5)), Some(Ok(Allowed::RootUser)));
        assert_eq!(p.quick(&cred(2000, 5)), Some(Ok(Allowed::ConfiguredUid)));
        assert_eq!(p.quick(&cred(1000, 1000)), None);
        let no_group = AccessPolicy {
            group: None,
            ..policy()
        };
        assert_eq!(no_group.quick(&cred(1000, 500)), Some(Err(Denied)));
    }

    #[test]
    fn a_missing_group_allows_nobody_through_rule_3() {
        let p = AccessPolicy {
            group: Some("nosuchgroup".into()),
            ..AccessPolicy::default()
        };
        assert_eq!(p.decide(&cred(1000, 500), &Db), Err(Denied));
    }

    #[test]
    fn config_names_and_numbers_resolve() {
        let e = |uid: Option<&str>, gid: Option<&str>| UidGid {
            uid: uid.map(Into::into),
            gid: gid.map(Into::into),
        };
        let p = AccessPolicy::from_config(
            "ais",
            &[e(Some("root"), None), e(Some("42"), Some("root")), e(None, Some("7"))],
        )
        .unwrap();
        assert_eq!(p.uids, [0, 42]);
        assert_eq!(p.gids, [0, 7]);
        assert_eq!(p.group.as_deref(), Some("ais"));
        let err = AccessPolicy::from_config("ais", &[e(Some("no-such-user-xyz"), None)]).unwrap_err();
        assert!(err.contains("no-such-user-xyz"), "{err}");
        assert!(AccessPolicy::from_config("ais", &[e(None, Some("no-such-group-xyz"))]).is_err());
    }

    #[test]
    fn the_system_db_knows_root() {
        assert_eq!(SystemUserDb.user_by_uid(0).map(|u| u.gid), Some(0));
        assert_eq!(SystemUserDb.group_by_name("root").map(|g| g.gid), Some(0));
    }
}
