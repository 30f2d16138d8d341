//! The shared tick: one deadline for the whole plane on a fixed 20 ms grid, nothing scheduled
//! without legs, early calls ignored, a late shell skips ahead (counted) instead of bursting.

use crate::support::media::params;
use roomgate::media::{
    AudioCodec, LegId, MediaCommand, MediaError, MediaOutput, MediaPlane, RoomKey,
};
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn one_deadline_on_a_fixed_grid() {
    let t0 = Instant::now();
    let mut plane = MediaPlane::new(1);
    assert_eq!(plane.poll_output(), MediaOutput::Timeout(None));
    plane
        .handle_command(
            t0,
            MediaCommand::AddLeg {
                leg: LegId(1),
                params: params(AudioCodec::Pcmu, 0, 1, None),
            },
        )
        .expect("add");
    plane
        .handle_command(
            t0,
            MediaCommand::AddLeg {
                leg: LegId(2),
                params: params(AudioCodec::Pcma, 8, 2, None),
            },
        )
        .expect("add");
    assert_eq!(plane.poll_output(), MediaOutput::Timeout(Some(t0 + ms(20))));
    plane.handle_tick(t0 + ms(10));
    assert_eq!(plane.poll_output(), MediaOutput::Timeout(Some(t0 + ms(20))));
    plane.handle_tick(t0 + ms(21));
    assert_eq!(
        plane.poll_output(),
        MediaOutput::Timeout(Some(t0 + ms(40))),
        "legs in no room send nothing"
    );
    plane.handle_tick(t0 + ms(95));
    assert_eq!(plane.late_ticks(), 1);
    assert_eq!(
        plane.poll_output(),
        MediaOutput::Timeout(Some(t0 + ms(115)))
    );

    plane
        .handle_command(
            t0 + ms(100),
            MediaCommand::Attach {
                leg: LegId(1),
                room: RoomKey(3),
            },
        )
        .expect("attach");
    plane.handle_tick(t0 + ms(115));
    let mut sent = 0;
    while let MediaOutput::Transmit(t) = plane.poll_output() {
        assert_eq!(t.leg, LegId(1));
        sent += 1;
    }
    assert_eq!(sent, 1, "one packet per attached leg per tick");
    for leg in [1, 2] {
        plane
            .handle_command(t0 + ms(120), MediaCommand::RemoveLeg { leg: LegId(leg) })
            .expect("remove");
    }
    assert_eq!(plane.poll_output(), MediaOutput::Timeout(None));
    assert_eq!(plane.room_count(), 0);
}

#[test]
fn command_errors_name_the_problem() {
    let t0 = Instant::now();
    let mut plane = MediaPlane::new(1);
    let add = |plane: &mut MediaPlane, id, codec: AudioCodec| {
        plane.handle_command(
            t0,
            MediaCommand::AddLeg {
                leg: LegId(id),
                params: params(codec, 0, 1, None),
            },
        )
    };
    add(&mut plane, 1, AudioCodec::Pcmu).expect("pcmu");
    assert_eq!(
        add(&mut plane, 1, AudioCodec::Pcmu),
        Err(MediaError::LegExists(LegId(1)))
    );
    add(&mut plane, 2, AudioCodec::G722).expect("g722");
    assert_eq!(
        plane.handle_command(
            t0,
            MediaCommand::Exchange {
                a: LegId(1),
                b: LegId(2)
            }
        ),
        Err(MediaError::NotInRoom(LegId(1)))
    );
    assert_eq!(
        plane.handle_command(
            t0,
            MediaCommand::Mute {
                leg: LegId(9),
                muted: true
            }
        ),
        Err(MediaError::UnknownLeg(LegId(9)))
    );
    assert_eq!(
        plane.handle_command(
            t0,
            MediaCommand::SendDtmf {
                leg: LegId(1),
                digit: 'x',
                duration: ms(100)
            }
        ),
        Err(MediaError::BadDigit('x'))
    );
    assert_eq!(
        plane.handle_rtp(t0, LegId(9), &[0x80; 20]),
        Err(MediaError::UnknownLeg(LegId(9)))
    );
    // Garbage on a known leg is counted, never an error or a panic.
    for len in 0..64 {
        let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 0x80) as u8).collect();
        plane.handle_rtp(t0, LegId(1), &junk).expect("known leg");
        plane.handle_rtcp(t0, LegId(1), &junk).expect("known leg");
    }
    assert!(plane.stats(LegId(1)).expect("stats").malformed > 0);
}
