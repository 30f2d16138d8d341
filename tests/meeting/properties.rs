//! Properties over random command sequences (proptest):
//! - a participant is in exactly one place, rooms' member lists agree with it, and so does the
//!   media plane as rebuilt from the media commands;
//! - exchange is a permutation (only the two swap places);
//! - close + countdown always ends with everyone in the main session;
//! - auto-assignment sizes differ by at most one, deterministically given the seed;
//! - event sequence numbers are gapless;
//! - a failed command changes nothing: no state, no event, no media command.

use crate::sim;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use proptest::prelude::*;
use roomgate::meeting::*;
use sim::*;

#[derive(Clone, Debug)]
enum Op {
    Join(Role, u8),
    Leave(u8),
    Create(u32, bool, u64),
    Remove,
    AddRoom(Option<u8>),
    Rename(u8, u8),
    Delete(u8),
    Assign(u8, Option<u8>),
    AutoAssign(u64),
    Options(bool, bool, bool, Option<u32>, u32),
    Preassign(u8),
    Open,
    Close,
    Move(u8, u8, Option<u8>),
    Exchange(u8, u8, u8),
    Help(u8),
    Broadcast(bool),
    Mute(u8, u8, bool),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    let role = prop_oneof![
        6 => Just(Role::Participant),
        1 => Just(Role::CoHost),
        1 => Just(Role::Host)
    ];
    prop_oneof![
        6 => (role, any::<u8>()).prop_map(|(r, n)| Op::Join(r, n)),
        2 => any::<u8>().prop_map(Op::Leave),
        2 => (0u32..8, any::<bool>(), any::<u64>()).prop_map(|(c, a, s)| Op::Create(c, a, s)),
        1 => Just(Op::Remove),
        1 => proptest::option::of(0u8..6).prop_map(Op::AddRoom),
        1 => (any::<u8>(), 0u8..6).prop_map(|(r, n)| Op::Rename(r, n)),
        1 => any::<u8>().prop_map(Op::Delete),
        2 => (any::<u8>(), proptest::option::of(any::<u8>())).prop_map(|(p, r)| Op::Assign(p, r)),
        1 => any::<u64>().prop_map(Op::AutoAssign),
        1 => (any::<bool>(), any::<bool>(), any::<bool>(),
              proptest::option::of(0u32..40), 0u32..20)
            .prop_map(|(a, b, c, d, e)| Op::Options(a, b, c, d, e)),
        1 => (0u8..4).prop_map(Op::Preassign),
        3 => Just(Op::Open),
        2 => Just(Op::Close),
        8 => (0u8..3, any::<u8>(), proptest::option::of(any::<u8>()))
            .prop_map(|(a, p, r)| Op::Move(a, p, r)),
        4 => (0u8..3, any::<u8>(), any::<u8>()).prop_map(|(a, x, y)| Op::Exchange(a, x, y)),
        1 => any::<u8>().prop_map(Op::Help),
        1 => any::<bool>().prop_map(Op::Broadcast),
        1 => (0u8..3, any::<u8>(), any::<bool>()).prop_map(|(a, p, m)| Op::Mute(a, p, m)),
        3 => (0u16..90).prop_map(Op::Advance),
    ]
}

/// Picks an existing participant, or (1 time in 8) one that does not exist.
fn pick_p(v: &MeetingView, i: u8) -> ParticipantId {
    if v.participants.is_empty() || i % 8 == 7 {
        return ParticipantId(9_999);
    }
    v.participants[i as usize % v.participants.len()].id
}

fn pick_r(v: &MeetingView, i: u8) -> RoomId {
    let rooms = v.breakouts.as_ref().map(|b| &b.rooms[..]).unwrap_or(&[]);
    if rooms.is_empty() || i % 8 == 7 {
        return RoomId(9_999);
    }
    rooms[i as usize % rooms.len()].id
}

fn pick_actor(v: &MeetingView, a: u8, p: u8) -> Actor {
    match a {
        0 => Actor::Host,
        1 => Actor::Gateway,
        _ => Actor::Participant(pick_p(v, p.wrapping_add(1))),
    }
}

const NAMES: [&str; 6] = ["Room 1", "Room 2", "Room 3", "Blue", "Green", "Red"];

fn command(v: &MeetingView, op: &Op) -> Option<(Actor, Command)> {
    let host = Actor::Host;
    Some(match op {
        Op::Join(role, n) => (
            Actor::Gateway,
            Command::Join(JoinRequest {
                name: format!("p{n}"),
                // Some identities match the pre-assignment patterns below.
                identity: match n % 4 {
                    0 => format!("sip:p{n}@sales.example"),
                    1 => "sip:boardroom@corp.example".into(),
                    _ => format!("sip:p{n}@corp.example"),
                },
                role: *role,
                passcode: None,
            }),
        ),
        Op::Leave(p) => (
            Actor::Gateway,
            Command::Leave {
                participant: pick_p(v, *p),
            },
        ),
        Op::Create(count, auto, seed) => (
            host,
            Command::CreateBreakouts {
                count: *count,
                assign: if *auto {
                    AssignMode::Auto
                } else {
                    AssignMode::Manual
                },
                seed: Some(*seed),
                options: None,
            },
        ),
        Op::Remove => (host, Command::RemoveBreakouts),
        Op::AddRoom(n) => (
            host,
            Command::AddRoom {
                name: n.map(|n| NAMES[n as usize].to_owned()),
            },
        ),
        Op::Rename(r, n) => (
            host,
            Command::RenameRoom {
                room: pick_r(v, *r),
                name: NAMES[*n as usize].to_owned(),
            },
        ),
        Op::Delete(r) => (
            host,
            Command::DeleteRoom {
                room: pick_r(v, *r),
            },
        ),
        Op::Assign(p, r) => (
            host,
            Command::Assign {
                participant: pick_p(v, *p),
                room: r.map(|r| pick_r(v, r)),
            },
        ),
        Op::AutoAssign(seed) => (host, Command::AutoAssign { seed: Some(*seed) }),
        Op::Options(auto_move, allow_return, allow_self_select, close_after_s, countdown_s) => (
            host,
            Command::SetOptions {
                options: BreakoutOptions {
                    auto_move: *auto_move,
                    allow_return: *allow_return,
                    allow_self_select: *allow_self_select,
                    close_after_s: *close_after_s,
                    countdown_s: *countdown_s,
                    notify_host: true,
                },
            },
        ),
        Op::Preassign(k) => (
            host,
            Command::SetPreassignments {
                preassignments: match k {
                    0 => vec![],
                    1 => vec![PreAssignment {
                        identity: "sip:boardroom@corp.example".into(),
                        room: "Room 2".into(),
                    }],
                    2 => vec![PreAssignment {
                        identity: "sip:*@sales.example".into(),
                        room: "Blue".into(),
                    }],
                    _ => vec![PreAssignment {
                        identity: "*".into(), // invalid: refused whole
                        room: "Room 1".into(),
                    }],
                },
            },
        ),
        Op::Open => (host, Command::Open),
        Op::Close => (host, Command::Close),
        Op::Move(a, p, r) => {
            let participant = pick_p(v, *p);
            let actor = if *a == 2 {
                // Mostly the participant itself, to exercise self-select and return.
                Actor::Participant(participant)
            } else {
                pick_actor(v, *a, *p)
            };
            (
                actor,
                Command::Move {
                    participant,
                    to: r.map_or(Place::Main, |r| Place::Room(pick_r(v, r))),
                },
            )
        }
        Op::Exchange(a, x, y) => (
            pick_actor(v, *a, *x),
            Command::Exchange {
                a: pick_p(v, *x),
                b: pick_p(v, *y),
            },
        ),
        Op::Help(p) => {
            let participant = pick_p(v, *p);
            (
                Actor::Participant(participant),
                Command::RequestHelp { participant },
            )
        }
        Op::Broadcast(empty) => (
            host,
            Command::Broadcast {
                message: if *empty { " ".into() } else { "wrap up".into() },
            },
        ),
        Op::Mute(a, p, m) => (
            pick_actor(v, *a, *p),
            Command::Mute {
                participant: pick_p(v, *p),
                muted: *m,
            },
        ),
        Op::Advance(_) => return None,
    })
}

/// The media plane as rebuilt from the media commands alone.
#[derive(Default)]
struct MediaModel {
    at: HashMap<ParticipantId, RoomKey>,
    applied: usize,
}

impl MediaModel {
    fn apply(&mut self, cmds: &[MediaCommand]) {
        for c in &cmds[self.applied..] {
            match *c {
                MediaCommand::Attach { participant, room } => {
                    assert!(
                        self.at.insert(participant, room).is_none(),
                        "attached twice"
                    );
                }
                MediaCommand::Move { participant, to } => {
                    let slot = self
                        .at
                        .get_mut(&participant)
                        .expect("move of an attached leg");
                    assert_ne!(*slot, to, "a move goes somewhere else");
                    *slot = to;
                }
                MediaCommand::Exchange { a, a_to, b, b_to } => {
                    let (pa, pb) = (self.at[&a], self.at[&b]);
                    assert_eq!((pa, pb), (b_to, a_to), "exchange swaps the two rooms");
                    self.at.insert(a, a_to);
                    self.at.insert(b, b_to);
                }
                MediaCommand::Detach { participant } => {
                    assert!(self.at.remove(&participant).is_some());
                }
                MediaCommand::Mute { participant, .. } => {
                    assert!(self.at.contains_key(&participant));
                }
            }
        }
        self.applied = cmds.len();
    }
}

fn check_invariants(s: &Sim, media: &mut MediaModel) {
    let v = s.view();
    // Exactly one place per participant, and the rooms agree.
    let mut in_rooms: HashMap<ParticipantId, RoomId> = HashMap::new();
    if let Some(b) = &v.breakouts {
        for r in &b.rooms {
            for p in &r.participants {
                assert!(in_rooms.insert(*p, r.id).is_none(), "{p} is in two rooms");
            }
        }
        if b.state != BreakoutState::Open && b.state != BreakoutState::Closing {
            assert!(in_rooms.is_empty(), "rooms are {} but occupied", b.state);
        }
    }
    let ids: HashSet<_> = v.participants.iter().map(|p| p.id).collect();
    for p in &v.participants {
        assert_eq!(
            p.room,
            in_rooms.get(&p.id).map_or(Place::Main, |r| Place::Room(*r))
        );
    }
    assert!(in_rooms.keys().all(|p| ids.contains(p)));
    // The media plane agrees.
    media.apply(&s.media);
    let key = s.m.key(MEETING).unwrap();
    assert_eq!(media.at.len(), v.participants.len());
    for p in &v.participants {
        assert_eq!(
            media.at[&p.id],
            RoomKey {
                meeting: key,
                room: p.room
            }
        );
    }
    // Gapless sequence numbers, matching the log.
    for (i, e) in s.events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    assert_eq!(v.last_seq, s.events.len() as u64);
}

fn is_even(sizes: &[usize]) -> bool {
    sizes.iter().max().unwrap_or(&0) - sizes.iter().min().unwrap_or(&0) <= 1
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=5000` for a longer hunt.

    #[test]
    fn random_command_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..80)) {
        let mut s = Sim::new(BreakoutOptions { countdown_s: 5, ..Default::default() });
        let mut media = MediaModel::default();
        for op in &ops {
            if let Op::Advance(secs) = op {
                s.secs(u64::from(*secs));
                check_invariants(&s, &mut media);
                continue;
            }
            let before = s.view();
            let (ev, md) = (s.events.len(), s.media.len());
            let (actor, cmd) = command(&before, op).expect("not an advance");
            let result = s.cmd(actor, cmd.clone());
            let after = s.view();
            match &result {
                Err(_) => {
                    prop_assert_eq!(&after, &before, "failed {:?} changed state", cmd);
                    prop_assert_eq!((s.events.len(), s.media.len()), (ev, md));
                }
                Ok(_) => match &cmd {
                    Command::Exchange { a, b } => {
                        let place = |v: &MeetingView, p| {
                            v.participants.iter().find(|x| x.id == p).unwrap().room
                        };
                        prop_assert_eq!(place(&after, *a), place(&before, *b));
                        prop_assert_eq!(place(&after, *b), place(&before, *a));
                        for p in &before.participants {
                            if p.id != *a && p.id != *b {
                                prop_assert_eq!(place(&after, p.id), p.room);
                            }
                        }
                        let mut x: Vec<_> = before.participants.iter().map(|p| p.room).collect();
                        let mut y: Vec<_> = after.participants.iter().map(|p| p.room).collect();
                        x.sort();
                        y.sort();
                        prop_assert_eq!(x, y, "exchange is a permutation");
                    }
                    Command::CreateBreakouts { count, assign: AssignMode::Auto, .. }
                        if after.preassignments.is_empty() =>
                    {
                        let mut sizes: BTreeMap<RoomId, usize> = after
                            .breakouts.as_ref().unwrap().rooms.iter().map(|r| (r.id, 0)).collect();
                        prop_assert_eq!(sizes.len(), *count as usize);
                        for p in after.participants.iter().filter(|p| p.role == Role::Participant) {
                            *sizes.get_mut(&p.assigned.expect("everybody assigned")).unwrap() += 1;
                        }
                        let sizes: Vec<usize> = sizes.into_values().collect();
                        prop_assert!(is_even(&sizes), "uneven split {:?}", sizes);
                    }
                    _ => {}
                },
            }
            check_invariants(&s, &mut media);
        }
        // However we got here, close + countdown ends with everyone in the main session.
        if s.m.breakouts(s.now, MEETING).is_ok_and(|b| b.state == BreakoutState::Open) {
            s.ok(Command::Close);
        }
        s.advance(Duration::from_secs(u64::from(MAX_COUNTDOWN_S) + 1));
        check_invariants(&s, &mut media);
        let v = s.view();
        prop_assert!(v.participants.iter().all(|p| p.room == Place::Main));
        if let Some(b) = &v.breakouts {
            prop_assert!(b.state != BreakoutState::Open && b.state != BreakoutState::Closing);
        }
    }

    #[test]
    fn auto_assignment_is_even_and_deterministic(
        n in 0usize..300, count in 1u32..=100, seed in any::<u64>(), order in any::<u64>()
    ) {
        let split = |rev: bool| {
            let mut s = Sim::new(BreakoutOptions::default());
            let mut names: Vec<usize> = (0..n).collect();
            if rev { names.rotate_left((order as usize) % n.max(1)); }
            for i in names { s.join(&format!("p{i}")); }
            s.ok(Command::CreateBreakouts {
                count, assign: AssignMode::Auto, seed: Some(seed), options: None,
            });
            let v = s.view();
            let by_name: BTreeMap<String, RoomId> = v.participants.iter()
                .map(|p| (p.name.clone(), p.assigned.expect("assigned"))).collect();
            let mut sizes: BTreeMap<RoomId, usize> =
                v.breakouts.unwrap().rooms.iter().map(|r| (r.id, 0)).collect();
            for r in by_name.values() { *sizes.get_mut(r).unwrap() += 1; }
            (by_name, sizes.into_values().collect::<Vec<_>>())
        };
        let (a, sizes) = split(false);
        prop_assert_eq!(sizes.len(), count as usize);
        prop_assert!(is_even(&sizes), "uneven split {:?}", sizes);
        prop_assert_eq!(sizes.iter().sum::<usize>(), n);
        // Same people joining in another order: ids differ, so compare room *sizes* and that
        // the split is the same function of the id set (ids are handed out in join order).
        let (b, sizes_b) = split(false);
        prop_assert_eq!(a, b, "same seed, same people, same split");
        let (_, sizes_c) = split(true);
        prop_assert_eq!(sizes_b, sizes_c);
    }
}
