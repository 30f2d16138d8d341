//! 10,000 moves across 100 breakout rooms and 1,000 participants, through the meeting core's
//! full path (validation, room membership, event with its sequence number and log, media
//! command, draining both queues as the engine does), against a baseline measured in the same
//! run that does comparable work the plainest way: a reference move (look the participant up,
//! check the target exists, take it out of its room's member list and into the new one, record
//! a numbered event with the meeting id in a log, queue and drain a media command) over
//! `HashMap`s and `Vec`s, without the core's validation rules, views or timers.
//!
//! Goal (issue 3): ≤ 5 µs per move in the core. Run: `cargo bench --bench meeting_moves`.

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use roomgate::meeting::*;

const PARTICIPANTS: usize = 1000;
const ROOMS: u32 = 100;
const MOVES: usize = 10_000;
const MEETING: &str = "bench";

/// A meeting with 1,000 participants spread over 100 open rooms.
fn setup() -> (Meetings, Instant, Vec<ParticipantId>, Vec<RoomId>) {
    let now = Instant::now();
    let limits = Limits {
        max_rooms: ROOMS,
        max_participants: PARTICIPANTS as u32,
        ..Limits::default()
    };
    let mut m = Meetings::new(limits, 1);
    m.create_meeting(
        now,
        MeetingSpec {
            id: MEETING.into(),
            name: "bench".into(),
            ..Default::default()
        },
    )
    .expect("valid meeting");
    let people: Vec<ParticipantId> = (0..PARTICIPANTS)
        .map(|i| {
            m.join(
                now,
                MEETING,
                JoinRequest {
                    name: format!("room system {i}"),
                    identity: format!("sip:rs{i}@corp.example"),
                    role: Role::Participant,
                    passcode: None,
                },
            )
            .expect("join")
        })
        .collect();
    let rooms = match m
        .handle(
            now,
            MEETING,
            Actor::Host,
            Command::CreateBreakouts {
                count: ROOMS,
                assign: AssignMode::Auto,
                seed: Some(1),
                options: None,
            },
        )
        .expect("create")
    {
        Outcome::Rooms(r) => r,
        o => panic!("{o:?}"),
    };
    m.handle(now, MEETING, Actor::Host, Command::Open)
        .expect("open");
    while m.poll_event().is_some() {}
    while m.poll_media().is_some() {}
    (m, now, people, rooms)
}

/// 10,000 real moves (never to where the participant already is) that end where they began:
/// 5,000 random moves, then the same undone in reverse order. So every batch of the benchmark
/// starts from the same state and does the same work.
fn moves(m: &Meetings, people: &[ParticipantId], rooms: &[RoomId]) -> Vec<(ParticipantId, Place)> {
    let mut rng = SmallRng::seed_from_u64(9);
    let mut at: HashMap<ParticipantId, Place> = people
        .iter()
        .map(|p| (*p, m.participant(MEETING, *p).expect("joined").room))
        .collect();
    let mut forward = Vec::with_capacity(MOVES / 2);
    while forward.len() < MOVES / 2 {
        let p = people[rng.gen_range(0..people.len())];
        // One in 101 goes to the main session, the rest to one of the 100 rooms.
        let i = rng.gen_range(0..=rooms.len());
        let to = rooms.get(i).map_or(Place::Main, |r| Place::Room(*r));
        let from = at[&p];
        if from == to {
            continue;
        }
        at.insert(p, to);
        forward.push((p, from, to));
    }
    let mut all: Vec<(ParticipantId, Place)> = forward.iter().map(|&(p, _, to)| (p, to)).collect();
    all.extend(forward.iter().rev().map(|&(p, from, _)| (p, from)));
    all
}

/// The same move done the plainest way, as the same-run baseline.
struct ReferenceMeeting {
    id: String,
    at: HashMap<u64, u32>,
    members: Vec<Vec<u64>>,
    log: Vec<(u64, String, u64, u32, u32)>,
    media: std::collections::VecDeque<(u64, u32)>,
    seq: u64,
}

impl ReferenceMeeting {
    fn new(people: &[ParticipantId], rooms: u32) -> Self {
        let mut members = vec![Vec::new(); rooms as usize + 1];
        members[0] = people.iter().map(|p| p.0).collect();
        ReferenceMeeting {
            id: MEETING.to_owned(),
            at: people.iter().map(|p| (p.0, 0)).collect(),
            members,
            log: Vec::new(),
            media: std::collections::VecDeque::new(),
            seq: 0,
        }
    }

    fn move_to(&mut self, p: u64, to: u32) {
        assert!((to as usize) < self.members.len(), "no such room");
        let from = self.at.insert(p, to).expect("a participant");
        let list = &mut self.members[from as usize];
        if let Some(i) = list.iter().position(|&x| x == p) {
            list.swap_remove(i);
        }
        self.members[to as usize].push(p);
        self.seq += 1;
        if self.log.len() >= 1000 {
            self.log.clear();
        }
        self.log.push((self.seq, self.id.clone(), p, from, to));
        self.media.push_back((p, to));
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let (mut m, now, people, rooms) = setup();
    let plan = moves(&m, &people, &rooms);
    let baseline_plan: Vec<(u64, u32)> = plan
        .iter()
        .map(|(p, to)| (p.0, to.room().map_or(0, |r| r.0)))
        .collect();
    let mut reference = ReferenceMeeting::new(&people, rooms.len() as u32);

    // Criterion's own measurements, summed, for the ratio printed at the end.
    let core_total = Cell::new((Duration::ZERO, 0u64));
    let base_total = Cell::new((Duration::ZERO, 0u64));

    let mut g = c.benchmark_group("meeting_moves");
    g.throughput(Throughput::Elements(MOVES as u64));
    g.bench_function(
        BenchmarkId::new("core", "10k_moves_100_rooms_1000_participants"),
        |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    for &(p, to) in &plan {
                        m.move_participant(now, MEETING, Actor::Host, p, to)
                            .expect("planned moves are valid");
                        while let Some(c) = m.poll_media() {
                            black_box(c);
                        }
                        while let Some(e) = m.poll_event() {
                            black_box(e);
                        }
                    }
                }
                let d = start.elapsed();
                let (t, n) = core_total.get();
                core_total.set((t + d, n + iters));
                d
            })
        },
    );
    g.bench_function(BenchmarkId::new("reference_baseline", "10k_moves"), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for &(p, r) in &baseline_plan {
                    reference.move_to(black_box(p), black_box(r));
                    while let Some(c) = reference.media.pop_front() {
                        black_box(c);
                    }
                }
            }
            let d = start.elapsed();
            let (t, n) = base_total.get();
            base_total.set((t + d, n + iters));
            d
        })
    });
    g.finish();

    // The state really moved and came back: every batch was 10,000 real moves.
    for p in &people {
        assert_ne!(m.participant(MEETING, *p).unwrap().room, Place::Main);
    }

    let per_move = |(t, n): (Duration, u64)| {
        if n == 0 {
            f64::NAN
        } else {
            t.as_nanos() as f64 / (n as f64 * MOVES as f64)
        }
    };
    let core = per_move(core_total.get());
    let base = per_move(base_total.get());
    println!(
        "meeting_moves: core {core:.1} ns/move, reference move {base:.1} ns/move, \
         ratio {:.1}x; goal <= 5000 ns/move: {}",
        core / base,
        if core <= 5000.0 { "met" } else { "NOT met" }
    );
    c.final_summary();
}
